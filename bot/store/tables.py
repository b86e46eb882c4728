"""Import every module that declares tables on `Base`, so `create_all` at open creates them all."""

from __future__ import annotations
