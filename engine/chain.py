"""The internal customer graph of a policy: who appraises whom on what, its loops, and who has none.

Pure: a :class:`~innerpay.model.Policy` in, text out (plain text, Mermaid or Graphviz DOT).
An edge runs from the customer to the department it appraises.
"""

from __future__ import annotations

from dataclasses import dataclass

from .numbers import target_str
from .policy.model import Policy

CHAIN_FORMATS = ("text", "mermaid", "dot")


@dataclass(frozen=True)
class Edge:
    """``customer`` appraises ``supplier`` on ``metric`` with ``target``."""

    customer: str
    supplier: str
    metric: str
    target: str


def edges(policy: Policy) -> list[Edge]:
    """Every appraisal, sorted by supplier then customer."""
    found = [
        Edge(
            c.department,
            dept.id,
            c.metric,
            target_str(c.target) if c.target is not None else "",
        )
        for dept in policy.departments.values()
        for c in dept.internal_customers
        if c.department and c.metric
    ]
    return sorted(found, key=lambda e: (e.supplier, e.customer, e.metric))


def loops(policy: Policy) -> list[list[str]]:
    """The loops of mutual appraisal: strongly connected groups, each as one cycle through it."""
    graph: dict[str, list[str]] = {d: [] for d in sorted(policy.departments)}
    for e in edges(policy):
        graph[e.customer].append(e.supplier)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def connect(node: str) -> None:  # Tarjan's algorithm; department counts are small
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            connect(node)
    return sorted(_cycle(graph, group) for group in groups)


def _cycle(graph: dict[str, list[str]], group: list[str]) -> list[str]:
    """One cycle through a strongly connected group, starting at its smallest member."""
    members = set(group)
    start = group[0]
    path = [start]
    seen = {start}
    while True:
        follow = [n for n in sorted(graph[path[-1]]) if n in members]
        if start in follow and len(path) > 1:
            return path
        unseen = [n for n in follow if n not in seen]
        if not unseen:
            return path
        path.append(unseen[0])
        seen.add(unseen[0])


def without_customer(policy: Policy) -> list[str]:
    """Departments that no one appraises (flagged no_customer)."""
    return sorted(d.id for d in policy.departments.values() if not d.customers)


def external_only(policy: Policy) -> list[tuple[str, str]]:
    """Departments with an external customer, and that customer's name."""
    return sorted(
        (d.id, c.external)
        for d in policy.departments.values()
        for c in d.customers
        if c.external is not None
    )


def render_text(policy: Policy) -> str:
    """The chain as sentences."""
    names = {d.id: d.name for d in policy.departments.values()}
    out = [f"Internal customer chain of policy {policy.version} ({policy.file})", ""]
    for e in edges(policy):
        label = policy.metrics[e.metric].label if e.metric in policy.metrics else e.metric
        out.append(
            f"{names[e.supplier]} ({e.supplier}) is appraised by {names[e.customer]} "
            f"({e.customer}) on {e.metric} ({label}), target ≥ {e.target}"
        )
    for dept, customer in external_only(policy):
        out.append(f"{names[dept]} ({dept}) also serves the external customer {customer}")
    out.append("")
    found = loops(policy)
    if found:
        out.append("Loops (each department appraises the next):")
        out += ["  " + " → ".join([*loop, loop[0]]) for loop in found]
    else:
        out.append("Loops: none")
    lonely = without_customer(policy)
    out.append("")
    if lonely:
        out.append("Without a customer (flagged no_customer):")
        out += [f"  {names[d]} ({d})" for d in lonely]
    else:
        out.append("Without a customer: none")
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(policy: Policy) -> str:
    """The chain as a Mermaid flowchart."""
    out = ["flowchart LR"]
    for d in sorted(policy.departments.values(), key=lambda d: d.id):
        out.append(f'  {d.id}["{_mermaid_text(d.name)}"]')
    for e in edges(policy):
        out.append(f'  {e.customer} -->|"{e.metric} ≥ {e.target}"| {e.supplier}')
    for i, (dept, customer) in enumerate(external_only(policy)):
        out.append(f'  external_{i}(["{_mermaid_text(customer)}"]) -.-> {dept}')
    for lonely in without_customer(policy):
        out.append(f"  style {lonely} stroke:#a4141b,stroke-dasharray: 5 5")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render_dot(policy: Policy) -> str:
    """The chain as a Graphviz digraph."""
    out = ["digraph innerpay {", "  rankdir=LR;", "  node [shape=box];"]
    lonely = set(without_customer(policy))
    for d in sorted(policy.departments.values(), key=lambda d: d.id):
        style = ', style=dashed, color="#a4141b"' if d.id in lonely else ""
        out.append(f'  "{d.id}" [label="{_dot_text(d.name)}"{style}];')
    for e in edges(policy):
        out.append(f'  "{e.customer}" -> "{e.supplier}" [label="{e.metric} ≥ {e.target}"];')
    for i, (dept, customer) in enumerate(external_only(policy)):
        out.append(f'  "external_{i}" [label="{_dot_text(customer)}", shape=ellipse];')
        out.append(f'  "external_{i}" -> "{dept}" [style=dashed];')
    out.append("}")
    return "\n".join(out) + "\n"


def render_chain(policy: Policy, fmt: str) -> str:
    """The chain in one of :data:`CHAIN_FORMATS`."""
    return {"text": render_text, "mermaid": render_mermaid, "dot": render_dot}[fmt](policy)
