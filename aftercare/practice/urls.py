from django.contrib.auth import views as auth_views
from django.urls import path

from aftercare.practice import views

urlpatterns = [
    path("", views.home, name="home"),
    path("no-practice/", views.no_practice, name="practice-none"),
    path("practice/switch/", views.switch_practice, name="practice-switch"),
    path("settings/", views.practice_settings, name="practice-settings"),
    path("settings/tokens/", views.api_tokens, name="practice-tokens"),
    path("settings/tokens/<int:pk>/revoke/", views.api_token_revoke, name="practice-tokens-revoke"),
    path("settings/team/", views.team, name="practice-team"),
    path("settings/team/<int:pk>/role/", views.team_role, name="practice-team-role"),
    path("settings/team/<int:pk>/remove/", views.team_remove, name="practice-team-remove"),
    path("join/<uidb64>/<token>/", views.join, name="practice-join"),
    path("account/password/", views.account_password, name="account-password"),
    path("sign-in/", views.sign_in, name="login"),
    path("sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.account, name="account"),
    path("account/two-factor/", views.account_two_factor, name="account-two-factor"),
    path(
        "account/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="account-sign-out-everywhere",
    ),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(template_name="practice/password_reset.html"),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="practice/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="practice/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="practice/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
