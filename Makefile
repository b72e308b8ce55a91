# The two commands (README): `make demo` and `make test`.  Each does its own set-up.
.PHONY: demo test bootstrap lint typecheck pytest bench

bootstrap:
	bash scripts/bootstrap.sh

demo: bootstrap
	bash scripts/demo.sh

test: bootstrap
	bash scripts/test.sh

lint: bootstrap
	.venv/bin/ruff check clawback benchmarks
	.venv/bin/ruff format --check clawback benchmarks

typecheck: bootstrap
	.venv/bin/mypy clawback

bench: bootstrap
	.venv/bin/python benchmarks/ingest.py
