"""URL patterns of orders/document_views.py, joined into the "orders" namespace by orders/urls.py."""

from django.urls import path

from orders import document_views as views

urlpatterns = [
    # Receipts and bills: the buyer's (by order number) and the cooperative's (in its workspace).
    path("pedidos/<str:number>/documentos/<int:pk>/", views.order_document, name="document"),
    path(
        "pedidos/<str:number>/documentos/<int:pk>/pdf/",
        views.order_document,
        {"as_pdf": True},
        name="document_pdf",
    ),
    path("espacio/<slug:slug>/documentos/<int:pk>/", views.workspace_document, name="workspace_document"),
    path(
        "espacio/<slug:slug>/documentos/<int:pk>/pdf/",
        views.workspace_document,
        {"as_pdf": True},
        name="workspace_document_pdf",
    ),
    # Bank transfer: instructions, proof upload, and the proof files behind the access check.
    path("pedidos/<str:number>/transferencia/", views.transfer_detail, name="transfer"),
    path("pedidos/<str:number>/transferencia/comprobante/", views.transfer_proof, name="transfer_proof"),
    path(
        "pedidos/<str:number>/comprobantes/<int:pk>/",
        views.transfer_proof_file,
        name="transfer_proof_file",
    ),
    # The cooperative's statement (managers).
    path("espacio/<slug:slug>/estado-de-cuenta/", views.statement, name="statement"),
]
