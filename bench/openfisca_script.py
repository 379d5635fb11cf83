"""The benchmark's policy in OpenFisca, loading whole arrays (as its users do for a large payroll).

    python bench/openfisca_script.py WORK_DIR OUT_CSV

Needs ``openfisca-core`` (and its numpy), best in a virtual environment of its own:
``python -m venv of && of/bin/pip install openfisca-core``, then
``python bench/run.py --openfisca-python of/bin/python``.  OpenFisca computes in float32, as
its variables of type float do; amounts are rounded to the cent with numpy at the end.
"""

from __future__ import annotations

import csv
import pathlib
import sys
from collections import Counter

import numpy
from openfisca_core.entities import build_entity
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

PERIOD = "2024-05"
Person = build_entity(key="person", plural="persons", label="An employee", is_person=True)
Company = build_entity(
    key="company",
    plural="companies",
    label="The company",
    roles=[{"key": "member", "plural": "members", "label": "Member"}],
)


class base_salary(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Base pay"


class score(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "The on-time delivery rate of the employee's department"


class bonus(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Delivery bonus"

    def formula(person, period, parameters):
        rate = person("score", period)
        factor = numpy.select([rate >= 0.98, rate >= 0.95, rate >= 0.90], [0.30, 0.20, 0.10], 0.0)
        return numpy.round(person("base_salary", period) * factor, 2)


class insurance(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Social insurance"

    def formula(person, period, parameters):
        return numpy.round(person("base_salary", period) * 0.105, 2)


class net(Variable):
    value_type = float
    entity = Person
    definition_period = DateUnit.MONTH
    label = "Net pay"

    def formula(person, period, parameters):
        return person("base_salary", period) + person("bonus", period) - person("insurance", period)


def main(work: pathlib.Path, out: pathlib.Path) -> None:
    folder = work / "data" / PERIOD
    total: Counter[str] = Counter()
    good: Counter[str] = Counter()
    with (folder / "deliveries.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for _, department, due, done in reader:
            total[department] += 1
            if done and done <= due:
                good[department] += 1
    rate = {d: good[d] / n for d, n in total.items()}
    ids, salaries, scores = [], [], []
    with (folder / "employees.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for emp_id, _, department, _, salary in reader:
            ids.append(emp_id)
            salaries.append(float(salary))
            scores.append(rate[department])
    system = TaxBenefitSystem([Person, Company])
    for variable in (base_salary, score, bonus, insurance, net):
        system.add_variable(variable)
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", ids)
    company = builder.declare_entity("company", ["c"])
    builder.join_with_persons(company, ["c"] * len(ids), ["member"] * len(ids))
    simulation = builder.build(system)
    simulation.set_input("base_salary", PERIOD, numpy.array(salaries))
    simulation.set_input("score", PERIOD, numpy.array(scores))
    amounts = simulation.calculate("net", PERIOD)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "net"])
        writer.writerows(zip(ids, (f"{x:.2f}" for x in amounts), strict=True))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
