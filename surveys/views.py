from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from surveys.selectors import memberships_for_user


@require_GET
@login_required
def home(request):
    memberships = memberships_for_user(user=request.user)
    return render(request, "surveys/home.html", {"memberships": memberships})
