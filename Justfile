# Developer tasks (`python -m kaohe.dev <task>` does the same where `just` is absent).

# lint, types, generated docs, tests: what CI checks
check:
    python -m kaohe.dev check

lint:
    python -m kaohe.dev lint

types:
    python -m kaohe.dev types

# regenerate every generated doc in docs/
docs:
    python -m kaohe.dev docs

test:
    python -m kaohe.dev test
