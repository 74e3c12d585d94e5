from django.urls import path

from cooperatives import views

app_name = "cooperatives"

urlpatterns = [
    path("espacio/", views.workspace_index, name="workspace_index"),
    path("espacio/<slug:slug>/productores/", views.producer_list, name="producer_list"),
    path("espacio/<slug:slug>/productores/nuevo/", views.producer_edit, name="producer_add"),
    path("espacio/<slug:slug>/productores/<int:pk>/", views.producer_edit, name="producer_edit"),
    path("espacio/<slug:slug>/miembros/", views.member_list, name="member_list"),
    path(
        "espacio/<slug:slug>/invitaciones/<int:pk>/cancelar/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitaciones/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
