"""No page or download of this app is kept by a browser cache or a proxy.

Every page shows a study, a ballot or an account, and the pages without a
session (an invitation, a password reset) carry a token in their address: a
copy kept on a shared computer or in a proxy would outlive the session or the
token. Static files are served before this runs and stay cacheable.
"""

from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
