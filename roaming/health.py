from django.db import connection
from django.http import JsonResponse


def health(request):
    """Liveness for load balancers and the CI smoke test: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
