"""Parses Prometheus text exposition (stdin) with the reference Python client's parser; prints JSON families.

Used by the collector's /metrics tests so the output is checked by a real Prometheus parser, not a regex.
A parse error exits non-zero with the parser's message.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append({
        "name": family.name,
        "type": family.type,
        "help": family.documentation,
        "samples": [
            {"name": s.name, "labels": s.labels, "value": s.value if s.value == s.value else "NaN"}
            for s in family.samples
        ],
    })
json.dump(families, sys.stdout)
