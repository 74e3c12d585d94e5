import io, os, re
from PIL import Image
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from tests.factories import make_product, image_bytes, UserFactory

def png(size, color=(10,20,30)):
    b = io.BytesIO(); Image.new("RGB", size, color).save(b, "PNG"); return b.getvalue()

def test_explore(client, manager, cooperative, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    p = make_product(cooperative)
    admin = UserFactory(is_superuser=True, is_staff=True)
    url = reverse("catalog:workspace_photo_upload", args=[cooperative.slug, p.pk])
    big = image_bytes() + os.urandom(11*1024*1024)
    cases = {
        "text": ("photo.jpg", b"hello this is not an image" * 10),
        "gif": ("photo.gif", png((8,8))),
        "exe": ("photo.exe", png((8,8))),
        "svg": ("photo.svg", png((8,8))),
        "big": ("photo.jpg", big),
        "mp": ("photo.png", png((7000,6000))),
    }
    # bomb
    cases["bomb"] = ("photo.png", png((20000,20000)) if False else None)
    import zlib, struct
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t+d) & 0xffffffff)
    w=h=20000
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * (w//8)
    raw = zlib.compress(row*h, 9)
    cases["bomb"] = ("photo.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    for k,(name, data) in cases.items():
        print(k, len(data))
        client.force_login(manager)
        r = client.post(url, {"photo": SimpleUploadedFile(name, data)})
        print(" ws", r.status_code, re.findall(r'class="error"[^>]*>([^<]*)', r.content.decode()))
        client.force_login(admin)
        r = client.post(reverse("wagtailimages:add"), {"title": "x", "file": SimpleUploadedFile(name, data), "collection": 1})
        html = r.content.decode()
        print(" admin", r.status_code, re.findall(r'error-message[^>]*>\s*([^<]*)', html)[:3])
    print(os.listdir(tmp_path))
