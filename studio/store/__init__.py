"""Persistence: SQLAlchemy tables, versioned schema, content-addressed blobs."""

from studio.store.blobs import BlobStore, sha256_bytes
from studio.store.db import make_engine, make_sessionmaker
from studio.store.schema import SCHEMA_VERSION, migrate

__all__ = ["BlobStore", "sha256_bytes", "make_engine", "make_sessionmaker", "SCHEMA_VERSION", "migrate"]
