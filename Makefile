# The two commands of the README: `make demo` and `make test`.
.PHONY: demo test lint bench

demo:
	scripts/bootstrap.sh --no-browser
	.venv/bin/hvol-sandbox demo

test:
	scripts/bootstrap.sh
	.venv/bin/python -m ruff check hvol_fhir smart_app sandbox tests bench
	.venv/bin/python -m mypy --strict hvol_fhir smart_app sandbox
	.venv/bin/python -m pytest

bench:
	.venv/bin/python -m bench
