import os

from django.http import HttpResponse


def hello(request):
    n = request.GET.get("n", "0")
    text = "hello %s from %d" % (n, os.getpid())  # BREAK
    return HttpResponse(text)
