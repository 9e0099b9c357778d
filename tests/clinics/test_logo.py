"""The clinic's logo: PNG or JPEG only, re-encoded as PNG, SVG and disguised files refused; shown
on the public clinic page, the staff header and the letterhead of PDFs."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from imsclinic.audit.models import AuditEvent
from imsclinic.clinics import actions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def image_bytes(fmt="PNG", size=(1600, 400), colour=(31, 78, 121)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def upload(client, clinic, data, name="logo.png", content_type="image/png"):
    return client.post(
        f"/clinic-admin/{clinic.uuid}/logo/",
        {"logo": SimpleUploadedFile(name, data, content_type=content_type)},
    )


def test_an_uploaded_logo_is_re_encoded_and_shown_on_the_public_page_and_staff_header(
    client, olivia, clinic_a
):
    client.force_login(olivia)
    response = upload(client, clinic_a, image_bytes("JPEG"), "logo.jpg", "image/jpeg")
    assert response.status_code == 302
    clinic_a.refresh_from_db()
    stored = Image.open(default_storage.open(clinic_a.logo.name))
    assert stored.format == "PNG" and stored.size == (800, 200)  # fitted in 800 × 400
    assert AuditEvent.objects.filter(action="clinic.logo").count() == 1
    served = client.get(f"/clinics/{clinic_a.slug}/logo.png")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (800, 200)
    assert 'class="clinic-logo-header"' in client.get("/today/").content.decode()
    client.logout()
    public = client.get(f"/clinics/{clinic_a.slug}/").content.decode()
    assert f"/clinics/{clinic_a.slug}/logo.png?v=" in public
    assert client.get(f"/clinics/{clinic_a.slug}/logo.png").status_code == 200


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (SVG, "logo.svg", "SVG logos are not accepted"),
        (SVG, "logo.png", "SVG logos are not accepted"),  # an SVG named .png
        (b"GIF89a" + b"\0" * 100, "logo.png", "not a PNG or JPEG image"),
        (b"%PDF-1.4 not an image", "logo.png", "not a PNG or JPEG image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 1), "logo.png", "larger than 1 MB"),
    ],
)
def test_refused_uploads_say_why_and_store_nothing(
    client, olivia, clinic_a, media, data, name, message
):
    client.force_login(olivia)
    response = upload(client, clinic_a, data, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    clinic_a.refresh_from_db()
    assert not clinic_a.logo
    assert not (media / "clinic-logos").exists() or not any((media / "clinic-logos").iterdir())
    assert not AuditEvent.objects.filter(action="clinic.logo").exists()


def test_a_gif_is_refused_even_though_it_is_an_image(olivia, clinic_a):
    with pytest.raises(actions.AdminError, match="PNG or JPEG"):
        actions.set_logo(clinic=clinic_a, data=image_bytes("GIF"), by=olivia)


def test_a_decompression_bomb_is_refused_before_decoding(olivia, clinic_a):
    bomb = image_bytes("PNG", size=(6000, 6000), colour=(0, 0, 0))
    with pytest.raises(actions.AdminError, match="too large in pixels"):
        actions.set_logo(clinic=clinic_a, data=bomb, by=olivia)


def test_replacing_and_removing_clean_up_the_old_file(
    olivia, clinic_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_logo(clinic=clinic_a, data=image_bytes(colour=(1, 2, 3)), by=olivia)
    first = clinic_a.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_logo(clinic=clinic_a, data=image_bytes(colour=(4, 5, 6)), by=olivia)
    assert clinic_a.logo.name != first and not default_storage.exists(first)
    second = clinic_a.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        actions.remove_logo(clinic=clinic_a, by=olivia)
    clinic_a.refresh_from_db()
    assert not clinic_a.logo and not default_storage.exists(second)


def test_only_the_clinic_admin_sets_the_logo(client, alice, bob, clinic_a):
    for person in (alice, bob):
        client.force_login(person)
        assert upload(client, clinic_a, image_bytes()).status_code == 403
    clinic_a.refresh_from_db()
    assert not clinic_a.logo


def test_the_logo_prints_on_the_letterhead_of_pdfs(olivia, clinic_a):
    from django.template.loader import render_to_string
    from pypdf import PdfReader

    from imsclinic.billing.documents import render_pdf

    actions.set_logo(clinic=clinic_a, data=image_bytes(), by=olivia)
    context = {"clinic": clinic_a, "title": "Receipt", "patient": None}
    html = render_to_string("billing/document.html", context)
    assert 'src="data:image/png;base64,' in html
    pdf = PdfReader(io.BytesIO(render_pdf(context)))
    assert pdf.pages[0].images, "the letterhead printed the logo"
    report = render_to_string("reports/analytics.html", {"clinic": clinic_a, "filters": {}})
    assert 'class="letterhead-logo" src="data:image/png;base64,' in report
