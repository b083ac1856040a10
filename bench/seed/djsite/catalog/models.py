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


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE,
                                related_name="reviews")
    author = models.CharField(max_length=40)
    stars = models.IntegerField()
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)


def populate():
    # bulk_create on SQLite does not set the primary keys (Django 3.2):
    # read the rows back.
    Category.objects.bulk_create(
        [Category(name="category %02d" % i) for i in range(20)])
    cats = list(Category.objects.order_by("id"))
    Product.objects.bulk_create(
        [Product(name="item %d" % i, price="%d.%02d" % (i % 90 + 1, i % 100),
                 stock=i % 37, category=cats[i % 20]) for i in range(200)])
    prods = list(Product.objects.order_by("id"))
    Review.objects.bulk_create(
        [Review(product=prods[i % 200], author="a%d" % i, stars=1 + i % 5,
                text="text %d" % i) for i in range(1000)])
