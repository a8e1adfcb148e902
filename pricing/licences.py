"""Licence-included EC2 prices: what Windows (alone or with SQL Server), RHEL and SUSE add to an
instance's Linux price.

AWS bills a licensed instance at one hourly rate, the Linux rate plus a licence charge. The snapshot
keeps the charge apart (`prices_licensed.csv`), so every type with a Linux price in a region gets its
Windows price there too:

- Windows Server: $0.046 per vCPU-hour on every type but the burstable ones (`ec2_licence.windows.vcpu`),
  the same in every region (checked in four); burstable types (t2, t3, t3a) have a charge per type
  (`ec2_licence.windows.<type>`), which is not proportional to vCPUs.
- SQL Server Web / Standard / Enterprise on Windows: the Windows charge plus a per-vCPU-hour charge
  for the edition (`ec2_licence.sqlserver_<edition>.vcpu`); not offered here for burstable types.
- RHEL and SUSE: not in the snapshot. Their instances show the Linux price and a licence line whose
  price is unknown, so the resource's cost is unknown rather than silently a Linux one.

Which operating system an instance runs is told by the front-ends (`PLATFORM_ATTRIBUTE`, with the
reason: an AMI filter, `get_password_data`, an SSM image parameter); nothing else is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .catalog import Catalog, Price

if TYPE_CHECKING:
    from advisor.model import Block

# The attribute through which a front-end says what an instance, launch template or launch
# configuration runs: its value is one of `PLATFORMS`, its `origin_note` why (advisor.iac.platform
# writes it under the same name).
PLATFORM_ATTRIBUTE = "_platform"

# platform -> (label shown on the bill line, licence keys whose charges it adds)
PLATFORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "linux": ("Linux", ()),
    "windows": ("Windows", ("windows",)),
    "windows-sql-web": ("Windows with SQL Server Web", ("windows", "sqlserver_web")),
    "windows-sql-standard": ("Windows with SQL Server Standard", ("windows", "sqlserver_standard")),
    "windows-sql-enterprise": ("Windows with SQL Server Enterprise", ("windows", "sqlserver_enterprise")),
    "rhel": ("RHEL", ("rhel",)),
    "suse": ("SUSE", ("suse",)),
}
LICENCE_NAMES = {
    "windows": "Windows Server",
    "sqlserver_web": "SQL Server Web",
    "sqlserver_standard": "SQL Server Standard",
    "sqlserver_enterprise": "SQL Server Enterprise",
    "rhel": "RHEL",
    "suse": "SUSE",
}
# The licence charge is the same in every region; the snapshot keeps it once, for this one.
LICENCE_REGION = "us-east-1"
_BURSTABLE = re.compile(r"^t\d[a-z]*\.")


@dataclass(frozen=True, slots=True)
class Platform:
    """What an instance runs, and how that is known ("" for Linux by default)."""

    name: str
    why: str = ""

    @property
    def label(self) -> str:
        return PLATFORMS[self.name][0]


LINUX = Platform("linux")


def platform_of(*bodies: Block | None) -> Platform:
    """The platform an instance runs: that of the first of `bodies` (the resource's own, then the
    launch template's) whose front-end told it, else Linux."""
    for body in bodies:
        value = body.attributes.get(PLATFORM_ATTRIBUTE) if body is not None else None
        if value is not None and value.known and value.value in PLATFORMS:
            return Platform(str(value.value), value.origin_note)
    return LINUX


@dataclass(frozen=True, slots=True)
class Licence:
    """The hourly licence charge of one instance type on one platform, or why it is not known."""

    value: float | None
    parts: tuple[Price, ...] = ()
    missing: str = ""


def licence(catalog: Catalog, instance_type: str, platform: Platform) -> Licence:
    """Sum of the licence charges `platform` adds to an hour of `instance_type`."""
    total = 0.0
    parts: list[Price] = []
    burstable = bool(_BURSTABLE.match(instance_type))
    facts = catalog.instance_type(instance_type)
    if platform.name.startswith("windows") and facts is not None and facts.arch == "arm64":
        return Licence(None, missing=f"Windows does not run on {instance_type} (arm64)")
    for kind in PLATFORMS[platform.name][1]:
        what = LICENCE_NAMES[kind]
        if kind == "windows":
            per_type = catalog.price(f"ec2_licence.windows.{instance_type}", LICENCE_REGION)
            if per_type is not None:
                parts.append(per_type)
                total += per_type.value
                continue
            if burstable:
                return Licence(
                    None, missing=f"{what} licence for burstable {instance_type} not in the snapshot"
                )
        elif burstable:
            return Licence(None, missing=f"{what} licence for burstable {instance_type} not in the snapshot")
        rate = catalog.price(f"ec2_licence.{kind}.vcpu", LICENCE_REGION)
        if rate is None:
            return Licence(None, missing=f"{what} licence not in the snapshot")
        if facts is None or not facts.vcpu:
            return Licence(None, missing=f"{what} licence: vCPUs of {instance_type} not in the snapshot")
        parts.append(rate)
        total += rate.value * facts.vcpu
    return Licence(round(total, 6), tuple(parts))


def licensed_price(base: Price, charge: Licence, platform: Platform) -> Price:
    """The instance's licence-included hourly price: its Linux price plus the licence charge, with
    both sources named and the older of the dates."""
    assert charge.value is not None
    sources = dict.fromkeys([base.source, *(p.source for p in charge.parts)])
    return Price(
        key=f"{base.key}+{platform.name}",
        region=base.region,
        value=round(base.value + charge.value, 6),
        unit=base.unit,
        source=", ".join(sources),
        as_of=min([base.as_of, *(p.as_of for p in charge.parts)]),
        estimate=base.estimate,
    )


def licence_note(base: Price, charge: Licence, platform: Platform) -> str:
    """How the licensed price was made: `$0.0416 Linux + $0.0184 Windows Server licence`."""
    assert charge.value is not None
    names = " + ".join(LICENCE_NAMES[k] for k in PLATFORMS[platform.name][1])
    return f"${base.value:g} Linux + ${charge.value:g} {names} licence"


# RDS engines whose instance price includes a licence, or is the bring-your-own-licence price:
# engine -> (price key's engine when licence-included, whether bring-your-own-licence is offered,
# whether licence-included is offered).
RDS_LICENSED_ENGINES: dict[str, tuple[str, bool, bool]] = {
    "sqlserver-ex": ("sqlserver-ex", False, True),
    "sqlserver-web": ("sqlserver-web", False, True),
    "sqlserver-se": ("sqlserver-se", False, True),
    "sqlserver-ee": ("sqlserver-ee", False, True),
    "oracle-se2": ("oracle-se2", True, True),
    "oracle-se2-cdb": ("oracle-se2", True, True),
    "oracle-se1": ("oracle-se1", True, True),
    "oracle-se": ("", True, False),
    "oracle-ee": ("", True, False),
    "oracle-ee-cdb": ("", True, False),
}
RDS_BYOL_ENGINE = "oracle-byol"  # Oracle on RDS with the customer's own licence: one price for every edition
_BYOL = ("bring-your-own-license", "byol")
_INCLUDED = ("license-included", "li")


def rds_licensed_engine(engine: str, license_model: str | None, model_note: str) -> tuple[str | None, str]:
    """The engine part of an RDS SQL Server or Oracle instance's price key, and a note saying which
    licence is priced and why; (None, why) when the snapshot has no such price."""
    entry = RDS_LICENSED_ENGINES.get(engine.lower())
    if entry is None:
        return None, ""
    included, byol, offered = entry
    model = (license_model or "").strip().lower()
    if model_note and license_model is None:
        return None, f"license_model is unknown ({model_note})"
    if model in _BYOL:
        if not byol:
            return None, f"{engine} with license_model = {license_model} is not in the snapshot"
        return RDS_BYOL_ENGINE, f"bring-your-own-license: {engine} without the licence (license_model)"
    if model and model not in _INCLUDED:
        return None, f"license_model = {license_model} is not in the snapshot for {engine}"
    if not offered:
        if model:
            return None, f"RDS offers {engine} only with bring-your-own-license, not {license_model}"
        return RDS_BYOL_ENGINE, f"bring-your-own-license: RDS offers {engine} only so"
    if model:
        return included, f"license-included (license_model = {license_model})"
    return included, "license-included assumed (license_model not set)"
