"""URL patterns of receipts, bank transfers and statements (orders/receipt_views.py,
transfer_views.py, statement_views.py), joined into the "orders" namespace by orders/urls.py."""

from django.urls import path

from orders import receipt_views, statement_views, transfer_views

urlpatterns = [
    # Receipts and bills: the buyer's (by order number) and the cooperative's (in its workspace).
    path("pedidos/<str:number>/documentos/<int:pk>/", receipt_views.order_document, name="document"),
    path(
        "pedidos/<str:number>/documentos/<int:pk>/pdf/",
        receipt_views.order_document,
        {"as_pdf": True},
        name="document_pdf",
    ),
    path(
        "espacio/<slug:slug>/documentos/<int:pk>/",
        receipt_views.workspace_document,
        name="workspace_document",
    ),
    path(
        "espacio/<slug:slug>/documentos/<int:pk>/pdf/",
        receipt_views.workspace_document,
        {"as_pdf": True},
        name="workspace_document_pdf",
    ),
    # Bank transfer: instructions, proof upload, and the proof files behind the access check.
    path("pedidos/<str:number>/transferencia/", transfer_views.transfer_detail, name="transfer"),
    path(
        "pedidos/<str:number>/transferencia/comprobante/",
        transfer_views.transfer_proof,
        name="transfer_proof",
    ),
    path(
        "pedidos/<str:number>/comprobantes/<int:pk>/",
        transfer_views.transfer_proof_file,
        name="transfer_proof_file",
    ),
    # The cooperative's statement (managers).
    path("espacio/<slug:slug>/estado-de-cuenta/", statement_views.statement, name="statement"),
]
