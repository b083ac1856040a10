# Modules imported before the first stop and between two stops: the stdlib
# ones and two of the user's own (modevents_a, modevents_b).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import csv  # noqa: E402
import decimal  # noqa: E402
import email.parser  # noqa: E402
import fractions  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import modevents_a  # noqa: E402

x = modevents_a.value()  # BREAK: first
import modevents_b  # noqa: E402
import xml.dom.minidom  # noqa: E402
import sqlite3  # noqa: E402
y = modevents_b.value()  # BREAK: second
z = x + y  # BREAK: third
print("sum", z, len(argparse.__name__ + csv.__name__ + decimal.__name__ +
                    email.parser.__name__ + fractions.__name__ + json.__name__ +
                    logging.__name__ + statistics.__name__ + sqlite3.__name__ +
                    xml.dom.minidom.__name__))
