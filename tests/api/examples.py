"""The "Protecting an API" examples of docs/how-to/apis.md, verbatim (``tests/api/test_docs_examples.py`` holds the two together);
``tests/api/urls.py`` serves them and the API tests call them."""

# ruff: noqa: E402 -- each README block keeps its own imports, where the README has them

# --- README: DRF ---
from rest_framework.response import Response
from rest_framework.views import APIView

from django_pingone_authorize.api.drf import HasScope, PingOneTokenAuthentication


class OrderList(APIView):
    authentication_classes = [PingOneTokenAuthentication]
    permission_classes = [HasScope("orders:read")]

    def get(self, request):
        # request.user: the Django user who signed on with PingOne, or a PingOneClient (an application)
        # request.auth: the AccessToken (scopes, subject, client_id, is_user, claims)
        return Response({"caller": request.user.get_username(), "scopes": sorted(request.auth.scopes)})


# --- README: plain Django ---
from django.http import JsonResponse

from django_pingone_authorize.decorators import pingone_token_required


@pingone_token_required(scopes=["orders:read"])
def order_list(request):
    token = request.pingone_token
    return JsonResponse({"caller": request.user.get_username(), "user": token.is_user})


# --- README: django-ninja ---
from ninja import NinjaAPI

from django_pingone_authorize.api.ninja import PingOneBearer, add_token_error_handler

api = add_token_error_handler(NinjaAPI(urls_namespace="orders-api"))


@api.get("/orders", auth=PingOneBearer(scopes=["orders:read"]))
def ninja_order_list(request):
    return {"caller": request.user.get_username(), "scopes": sorted(request.auth.scopes)}


# --- README: calling an API ---
import requests

from django_pingone_authorize.api.requests_auth import PingOneAuth


def fetch_orders(api_url):
    auth = PingOneAuth(client="default", scopes=["orders:read"])
    return requests.get(f"{api_url}/orders/", auth=auth, timeout=10).json()
