from django.urls import path

from djsite import views

urlpatterns = [path("hello/", views.hello)]
