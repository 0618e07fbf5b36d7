# Lambda artifacts for `sam build` (BuildMethod: makefile on every function).
# SAM runs `make build-<LogicalId>` with ARTIFACTS_DIR set; each artifact holds only the
# product, bot/ and handlers/, never the tests, benchmarks or the sandbox emulator.
# Third-party code comes from DependenciesLayer. .ci/sam_check.sh checks the contents.

PRODUCT := bot handlers

build-%Function:
	mkdir -p "$(ARTIFACTS_DIR)"
	tar -cf - --exclude='__pycache__' --exclude='*.pyc' $(PRODUCT) | tar -xf - -C "$(ARTIFACTS_DIR)"
