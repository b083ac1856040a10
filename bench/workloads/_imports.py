"""Imported by stops.py / steps.py with --imports: a program with a few
hundred modules loaded, as real programs have (per-stop work that grows
with sys.modules shows here)."""
import argparse  # noqa: F401
import asyncio  # noqa: F401
import concurrent.futures  # noqa: F401
import csv  # noqa: F401
import decimal  # noqa: F401
import email.mime.multipart  # noqa: F401
import email.parser  # noqa: F401
import http.client  # noqa: F401
import http.server  # noqa: F401
import json  # noqa: F401
import logging.handlers  # noqa: F401
import multiprocessing  # noqa: F401
import sqlite3  # noqa: F401
import statistics  # noqa: F401
import tarfile  # noqa: F401
import unittest  # noqa: F401
import urllib.request  # noqa: F401
import xml.dom.minidom  # noqa: F401
import xml.etree.ElementTree  # noqa: F401
import zipfile  # noqa: F401
