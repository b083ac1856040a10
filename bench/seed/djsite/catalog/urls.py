from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("category/<int:pk>/", views.category, name="category"),
    path("product/<int:pk>/", views.product, name="product"),
    path("product/<int:pk>/review/", views.review, name="review"),
    path("api/category/<int:pk>/", views.api_category, name="api-category"),
    path("search/", views.search, name="search"),
]
