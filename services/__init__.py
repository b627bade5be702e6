"""What happens to the records: models, one transaction per command, authorization, inbox and audit."""
from __future__ import annotations
