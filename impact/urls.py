from django.urls import path

from impact import views

app_name = "impact"

urlpatterns = [
    path("impacto/", views.programme_list, name="programme_list"),
    path("impacto/mercado/<int:page_id>/", views.market_impact, name="market_impact"),
    path("espacio/<slug:slug>/impacto/", views.cooperative_impact, name="cooperative_impact"),
    path(
        "impacto/certificado/<int:organization_pk>/<int:year>/",
        views.purchases_certificate,
        name="purchases_certificate",
    ),
    path("impacto/<slug:slug>/", views.programme_detail, name="programme_detail"),
    path("impacto/<slug:slug>/informe.csv", views.programme_csv, name="programme_csv"),
    path("impacto/<slug:slug>/informe.xlsx", views.programme_xlsx, name="programme_xlsx"),
    path("impacto/<slug:slug>/informe.pdf", views.programme_pdf, name="programme_pdf"),
]
