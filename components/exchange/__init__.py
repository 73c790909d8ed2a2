"""The exchange component and its parts; see components/exchange/exchange.py."""

from components.exchange.endpoints import PartyEndpoints
from components.exchange.exchange import Exchange, ExchangeArgs

__all__ = ["Exchange", "ExchangeArgs", "PartyEndpoints"]
