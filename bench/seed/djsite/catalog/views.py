from django import forms
from django.db.models import Avg, Count, Sum
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from .models import Category, Product, Review


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["author", "stars", "text"]


def index(request):
    cats = Category.objects.annotate(n=Count("products")).order_by("name")
    return render(request, "catalog/index.html", {"categories": cats})


def category(request, pk):
    cat = get_object_or_404(Category, pk=pk)
    products = cat.products.annotate(
        rating=Avg("reviews__stars")).select_related("category")
    return render(request, "catalog/category.html",
                  {"category": cat, "products": products})


def product(request, pk):
    prod = get_object_or_404(Product.objects.select_related("category"),
                             pk=pk)
    reviews = prod.reviews.order_by("-created")[:10]
    return render(request, "catalog/product.html",
                  {"product": prod, "reviews": reviews, "form": ReviewForm()})


def review(request, pk):
    prod = get_object_or_404(Product, pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        r = form.save(commit=False)
        r.product = prod
        r.save()
    return redirect("product", pk=pk)


def api_category(request, pk):
    cat = get_object_or_404(Category, pk=pk)
    agg = cat.products.aggregate(stock=Sum("stock"), price=Avg("price"))
    items = list(cat.products.values("id", "name", "stock")[:20])
    return JsonResponse({"name": cat.name, "stock": agg["stock"],
                         "price": str(agg["price"]), "items": items})


def search(request):
    q = request.GET.get("q", "")
    products = Product.objects.filter(name__icontains=q)[:25]
    return render(request, "catalog/search.html",
                  {"q": q, "products": products})
