"""This device's IPv4 interfaces: their subnets (the LAN door's default allow-list) and broadcast addresses
(where discovery announcements go by default)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

import ifaddr

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def ipv4_interfaces() -> list[ipaddress.IPv4Interface]:
    """Every IPv4 address of this machine with its prefix, loopback included."""
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                found.append(ipaddress.IPv4Interface(f"{ip.ip}/{ip.network_prefix}"))
    return found


def own_subnets() -> list[Network]:
    """The networks this device is on: a POS on the same LAN (or this machine) may use the door."""
    return [i.network for i in ipv4_interfaces()]


def broadcast_addresses() -> list[str]:
    """The broadcast address of every interface that has one: not loopback, not a point-to-point /31 or /32."""
    out = []
    for interface in ipv4_interfaces():
        network = interface.network
        if interface.ip.is_loopback or network.prefixlen >= 31:
            continue
        out.append(str(network.broadcast_address))
    return list(dict.fromkeys(out))


def parse_allow(entries: Iterable[str]) -> list[Network]:
    """Addresses or networks ("192.168.1.20", "192.168.1.0/24"), as configured (checked at config load)."""
    return [ipaddress.ip_network(e, strict=False) for e in entries]


def allowed(host: str, networks: Sequence[Network]) -> bool:
    """Whether a peer's address is in one of the networks; an IPv4-mapped IPv6 address counts as IPv4."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
