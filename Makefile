# Two commands on a fresh machine: `make demo` (set up, plan a realistic day, show the results)
# and `make test`. Both create and reuse the virtual environment in .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench-solomon bench-trsp bench-strsp bench-strsp-team bench-horizon bench-compare bench-scale bench-regions bench-live bench-fixes bench-roads bench-timelimit bench-curve fuzz clean


$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	$(BIN)/dispatch compile
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dispatch demo --out out/demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check dispatch solver api benchmarks tests
	$(BIN)/mypy

bench-solomon: $(STAMP)
	$(BIN)/python -m benchmarks.solomon ../shared/benchmarks/solomon/*.txt --bks ../shared/benchmarks/solomon/bks_solomon.csv --time-limit 10 --out benchmarks/out/solomon

bench-trsp: $(STAMP)
	$(BIN)/python -m benchmarks.trsp ../shared/benchmarks/trsp_pillac/crew25/*.txt --bks ../shared/benchmarks/trsp_pillac/bks_trsp_pillac_crew25.csv --time-limit 30 --out benchmarks/out/trsp

bench-strsp: $(STAMP)
	$(BIN)/python -m benchmarks.strsp ../shared/benchmarks/strsp_kovacs/tasks_noTeam/*_5x4_noTeam.txt --time-limit 30 --out benchmarks/out/strsp

bench-strsp-team: $(STAMP)
	$(BIN)/python -m benchmarks.strsp ../shared/benchmarks/strsp_kovacs/tasks_Team/*_5x4_Team.txt --variant team --time-limit 30 --out benchmarks/out/strsp_team

bench-horizon: $(STAMP)
	$(BIN)/python -m benchmarks.horizon --orders 600 --technicians 40 --days 3 --time-limit 55 --seeds 1 2 --out benchmarks/out/horizon.json

bench-compare: $(STAMP)
	$(BIN)/python -m benchmarks.compare --orders 200 --technicians 25 --seeds 1 2 3 --time-limit 20 --out benchmarks/out/compare

bench-scale: $(STAMP)
	$(BIN)/python -m benchmarks.scale --orders 1000 --technicians 100 --time-limit 60 --seed 1

bench-regions: $(STAMP)
	$(BIN)/python -m benchmarks.regions --orders 5000 --technicians 500 --time-limit 120 --workers 2 --seed 1 --json benchmarks/out/regions.json --markdown benchmarks/RESULTS_regions.md

bench-timelimit: $(STAMP)
	$(BIN)/python -m benchmarks.timelimit --sizes 200x25 1000x100 5000x500 --time-limits 20 60 120 --seed 11 --strict --json benchmarks/out/timelimit.json

# the objective over time and the operator profile, 200 x 25 and 500 x 50 (issue 18); about 7 minutes
bench-curve: $(STAMP)
	$(BIN)/python -m benchmarks.curve --sizes 200x25 500x50 --seeds 1 --time-limit 200 --out benchmarks/out/curve

bench-fixes: $(STAMP)
	$(BIN)/python -m benchmarks.fixes --orders 200 --technicians 25 --seeds 1 2 3 --time-limit 20 --check --out benchmarks/out/fixes_200.json
	$(BIN)/python -m benchmarks.fixes --orders 1000 --technicians 100 --seeds 1 --time-limit 60 --out benchmarks/out/fixes_1000.json

bench-live: $(STAMP)
	$(BIN)/python -m benchmarks.replan_speed insert --orders 500 --technicians 50 --seeds 1 2 3 --out benchmarks/out/replan_insert.json
	$(BIN)/python -m benchmarks.live_walk --orders 200 --technicians 25 --seed 11 --time-limit 20 --out benchmarks/out/live_walk.json
	$(BIN)/python -m benchmarks.replan_speed recommend --orders 1000 --technicians 100 --seeds 1 --morning-limit 60 --samples 200 --out benchmarks/out/replan_recommend.json
	$(BIN)/python -m benchmarks.live_day --orders 200 --technicians 25 --seeds 1 2 3 --time-limit 2 --deadline-margin 60 --out benchmarks/out/live_day

# the long schemathesis run, as every role on SQLite and PostgreSQL (minutes; `make test` runs a bounded one)
fuzz: $(STAMP)
	$(BIN)/python -m benchmarks.fuzz --examples 25 --seeds 10 --scenarios 10 --steps 15 --out benchmarks/out/fuzz.json

bench-roads: $(STAMP)
	$(BIN)/python -m benchmarks.roads --blocks 200 --block-m 100 --points 1000 --orders 200 --technicians 25 --time-limit 20 --cli --out benchmarks/out/roads.json

clean:
	rm -rf $(VENV) out benchmarks/out .pytest_cache
