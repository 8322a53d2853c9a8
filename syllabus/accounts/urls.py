from django.urls import path

from syllabus.accounts.views import auth

app_name = "accounts"

urlpatterns = [
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("organizations/choose/", auth.choose_organization, name="choose-organization"),
    path("profile/", auth.profile, name="profile"),
]
