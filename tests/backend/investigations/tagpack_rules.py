"""The GraphSense TagPack schema rules, as graphsense-lib's validator applies them.

Written from the published schema (``tagpack_schema.yaml``: header and tag
fields, their types, which are mandatory) and the validator's rules (no
empty value, ``address`` or ``tx_hash`` but never both, taxonomy values).
``make tagpack-check`` runs the real validator on an export.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml

HEADER = {
    "title": str,
    "creator": str,
    "description": str,
    "owner": str,
    "is_public": bool,
    "tags": list,
}
MANDATORY_HEADER = {"title", "creator", "tags"}
TAG = {
    "label": str,
    "source": str,
    "currency": str,
    "network": str,
    "context": str,
    "confidence": str,
    "is_cluster_definer": bool,
    "lastmod": dt.date,
    "category": str,
    "abuse": str,
    "address": str,
    "tx_hash": str,
    "actor": str,
    "concepts": list,
    "tag_type": str,
}
MANDATORY_TAG = {"label", "source", "currency", "network", "confidence"}
#: The concepts the issue names from the GraphSense taxonomy.
CONCEPTS = {"human_trafficking", "scam", "victim", "perpetrator", "money_laundering"}
CONFIDENCES = {"forensic_investigation"}


def validate(text: str) -> dict[str, Any]:
    """Parse a TagPack and check it; returns it parsed.

    Raises:
        AssertionError: naming the first rule broken.
    """
    pack = yaml.safe_load(text)
    assert isinstance(pack, dict), "a TagPack is a mapping"
    for name in MANDATORY_HEADER:
        assert name in pack, f"mandatory header field {name} missing"
    for name, value in pack.items():
        allowed = HEADER.get(name) or TAG.get(name)
        assert allowed is not None, f"field {name} not allowed in header"
        assert value is not None, f"header field {name} is empty"
        assert isinstance(value, allowed), f"header field {name} is not {allowed.__name__}"
    for tag in pack["tags"]:
        assert isinstance(tag, dict)
        assert ("address" in tag) != ("tx_hash" in tag), f"address xor tx_hash: {tag}"
        for name in MANDATORY_TAG:
            assert name in tag or name in pack, f"mandatory tag field {name} missing in {tag}"
        for name, value in tag.items():
            allowed = TAG.get(name)
            assert allowed is not None, f"field {name} not allowed in a tag"
            assert value is not None, f"tag field {name} is empty"
            assert isinstance(value, allowed), (
                f"tag field {name}={value!r} is not {allowed.__name__}"
            )
        assert tag["confidence"] in CONFIDENCES
        assert set(tag.get("concepts", [])) <= CONCEPTS, tag.get("concepts")
        json.loads(tag.get("context", "{}"))
    return pack
