"""The API docs page, served from vendored Swagger UI (static/imsclinic/vendor/swagger-ui).

django-ninja's default page loads Swagger UI from a CDN with an inline script: the app's CSP
(script-src 'self') blocks both, and clinic machines may be offline. This page loads the vendored
bundle and a static initialiser that reads the schema URL from a data attribute.
"""

from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class OfflineSwagger(DocsBase):
    template = "core/api_docs.html"

    def render_page(self, request, api, **kwargs):
        return render(
            request,
            self.template,
            {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)},
        )
