"""Generates the Django project and the pytest suite bench/realworld.py
runs (deterministic: the same files every time).

    python3 bench/realworld/gen.py DIR
"""
import os
import sys

SETTINGS = '''\
SECRET_KEY = "bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "shop"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "proj.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TEMPLATES = []
'''

URLS = '''\
from django.urls import path
from shop import views

urlpatterns = [
    path("products/", views.product_list),
    path("products/<int:pk>/", views.product_detail),
    path("categories/<int:pk>/total/", views.category_total),
    path("orders/<int:pk>/", views.order_detail),
]
'''

MODELS = '''\
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=50, unique=True)

    def __str__(self):
        return self.name


class Product(models.Model):
    name = models.CharField(max_length=80)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    stock = models.IntegerField(default=0)
    category = models.ForeignKey(Category, on_delete=models.CASCADE,
                                 related_name="products")

    class Meta:
        ordering = ["name"]


class Order(models.Model):
    customer = models.CharField(max_length=80)
    created = models.DateTimeField(auto_now_add=True)

    def total(self):
        return sum(i.product.price * i.quantity
                   for i in self.items.select_related("product"))


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE,
                              related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.IntegerField()
'''

VIEWS = '''\
from django.db.models import Sum
from django.http import Http404, JsonResponse

from .models import Category, Order, Product


def product_list(request):
    qs = Product.objects.select_related("category")
    cat = request.GET.get("category")
    if cat:
        qs = qs.filter(category__name=cat)
    return JsonResponse({"products": [
        {"id": p.id, "name": p.name, "price": str(p.price),
         "category": p.category.name} for p in qs]})


def product_detail(request, pk):
    try:
        p = Product.objects.get(pk=pk)
    except Product.DoesNotExist:
        raise Http404("no product")
    return JsonResponse({"id": p.id, "name": p.name, "stock": p.stock})


def category_total(request, pk):
    total = Product.objects.filter(category_id=pk).aggregate(s=Sum("stock"))
    return JsonResponse({"stock": total["s"] or 0})


def order_detail(request, pk):
    try:
        o = Order.objects.get(pk=pk)
    except Order.DoesNotExist:
        raise Http404("no order")
    return JsonResponse({"customer": o.customer, "total": str(o.total()),
                         "items": o.items.count()})
'''

TESTS_HEAD = '''\
from decimal import Decimal

from django.db.models import Count, Sum
from django.test import TestCase

from .models import Category, Order, OrderItem, Product


class Base(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.cats = [Category.objects.create(name="cat%d" % i)
                    for i in range(5)]
        cls.products = []
        for i in range(40):
            cls.products.append(Product.objects.create(
                name="p%02d" % i, price=Decimal("%d.50" % (i + 1)),
                stock=i * 3, category=cls.cats[i % 5]))
        cls.order = Order.objects.create(customer="alice")
        for i in range(6):
            OrderItem.objects.create(order=cls.order,
                                     product=cls.products[i], quantity=i + 1)
'''


def django_tests():
    out = [TESTS_HEAD]
    out.append("\n\nclass ModelTests(Base):\n")
    for i in range(30):
        out.append('''
    def test_filter_%d(self):
        n = Product.objects.filter(stock__gte=%d).count()
        self.assertEqual(n, len([p for p in self.products if p.stock >= %d]))
''' % (i, i * 4, i * 4))
    out.append("\n\nclass QueryTests(Base):\n")
    for i in range(25):
        out.append('''
    def test_aggregate_%d(self):
        c = self.cats[%d]
        agg = Product.objects.filter(category=c).aggregate(s=Sum("stock"))
        self.assertEqual(agg["s"], sum(p.stock for p in self.products
                                       if p.category_id == c.id))
        per = Category.objects.annotate(n=Count("products")).get(pk=c.pk)
        self.assertEqual(per.n, 8)
''' % (i, i % 5))
    out.append("\n\nclass WriteTests(Base):\n")
    for i in range(20):
        out.append('''
    def test_update_%d(self):
        Product.objects.filter(pk=self.products[%d].pk).update(stock=%d)
        self.assertEqual(Product.objects.get(pk=self.products[%d].pk).stock, %d)
        o = Order.objects.create(customer="c%d")
        OrderItem.objects.create(order=o, product=self.products[%d], quantity=2)
        self.assertEqual(o.total(), self.products[%d].price * 2)
        o.delete()
        self.assertFalse(OrderItem.objects.filter(order_id=o.pk).exists())
''' % (i, i, 1000 + i, i, 1000 + i, i, i, i))
    out.append("\n\nclass ViewTests(Base):\n")
    for i in range(25):
        kind = i % 4
        if kind == 0:
            body = '''r = self.client.get("/products/", {"category": "cat%d"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(len(r.json()["products"]), 8)''' % (i % 5)
        elif kind == 1:
            body = '''r = self.client.get("/products/%%d/" %% self.products[%d].pk)
        self.assertEqual(r.json()["stock"], %d)''' % (i, i * 3)
        elif kind == 2:
            body = '''r = self.client.get("/categories/%%d/total/" %% self.cats[%d].pk)
        self.assertEqual(r.status_code, 200)
        self.assertGreaterEqual(r.json()["stock"], 0)''' % (i % 5)
        else:
            body = '''r = self.client.get("/orders/%d/" % self.order.pk)
        self.assertEqual(r.json()["items"], 6)
        self.assertEqual(self.client.get("/orders/999999/").status_code, 404)'''
        out.append("\n    def test_view_%d(self):\n        %s\n" % (i, body))
    return "".join(out)


RUN_DJANGO = '''\
"""Runs the shop app's tests (in-memory SQLite); BENCH {"ns": tests}."""
import json
import os
import sys
import time

t_start = time.perf_counter_ns()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ["DJANGO_SETTINGS_MODULE"] = "proj.settings"
import django  # noqa: E402
django.setup()
from django.conf import settings  # noqa: E402
from django.test.utils import get_runner  # noqa: E402

runner = get_runner(settings)(verbosity=0, interactive=False)
t0 = time.perf_counter_ns()
failures = runner.run_tests(["shop"])
t1 = time.perf_counter_ns()
print("BENCH " + json.dumps({"ns": t1 - t0, "setup_ns": t0 - t_start,
                             "failures": failures}))
sys.stdout.flush()
sys.exit(1 if failures else 0)
'''

RUN_PYTEST = '''\
"""Runs the generated pytest suite; BENCH {"ns": pytest.main}."""
import json
import os
import sys
import time

t_start = time.perf_counter_ns()
import pytest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
t0 = time.perf_counter_ns()
rc = pytest.main(["-q", "-p", "no:cacheprovider", os.path.join(HERE, "tests")])
t1 = time.perf_counter_ns()
print("BENCH " + json.dumps({"ns": t1 - t0, "setup_ns": t0 - t_start,
                             "rc": int(rc)}))
sys.stdout.flush()
sys.exit(int(rc))
'''

PYTEST_FILES = 10


def pytest_file(k):
    out = ['''import math

import pytest


@pytest.fixture
def numbers():
    return list(range(%d, %d))


@pytest.fixture(scope="module")
def table():
    return {i: i * i for i in range(200)}
''' % (k, k + 50)]
    for i in range(20):
        out.append('''

def test_plain_%d():
    assert sum(range(%d)) == %d
''' % (i, i * 10, sum(range(i * 10))))
    for i in range(8):
        out.append('''

def test_fixture_%d(numbers, table):
    assert numbers[%d] == %d
    assert table[%d] == %d
''' % (i, i, k + i, i * 7, (i * 7) ** 2))
    out.append('''

@pytest.parametrize_placeholder
def test_param(x, y):
    assert math.isclose(math.hypot(x, y) ** 2, x * x + y * y)
'''.replace("@pytest.parametrize_placeholder",
            "@pytest.mark.parametrize('x,y', [(%s)])" % "), (".join(
                "%d, %d" % (a, a + k) for a in range(24))))
    out.append('''

class TestGroup:
    def test_raises(self):
        with pytest.raises(KeyError):
            {}["missing"]
''')
    for i in range(8):
        out.append('''
    def test_str_%d(self):
        assert "x%d".upper() == "X%d"
''' % (i, i, i))
    return "".join(out)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def generate(root):
    """Writes both programs under root; returns {name: runner path}."""
    dj = os.path.join(root, "django")
    write(os.path.join(dj, "proj", "__init__.py"), "")
    write(os.path.join(dj, "proj", "settings.py"), SETTINGS)
    write(os.path.join(dj, "proj", "urls.py"), URLS)
    write(os.path.join(dj, "shop", "__init__.py"), "")
    write(os.path.join(dj, "shop", "models.py"), MODELS)
    write(os.path.join(dj, "shop", "views.py"), VIEWS)
    write(os.path.join(dj, "shop", "tests.py"), django_tests())
    write(os.path.join(dj, "runtests.py"), RUN_DJANGO)
    pt = os.path.join(root, "pytest")
    for k in range(PYTEST_FILES):
        write(os.path.join(pt, "tests", "test_gen_%02d.py" % k),
              pytest_file(k))
    write(os.path.join(pt, "runtests.py"), RUN_PYTEST)
    return {"django": os.path.join(dj, "runtests.py"),
            "pytest": os.path.join(pt, "runtests.py")}


if __name__ == "__main__":
    print(generate(sys.argv[1]))
