from __future__ import annotations

from amparo.accounts import chain
from amparo.lib.crypto import keys


def test_the_chain_key_is_forgotten_with_the_keys():
    """A panic wipe empties the key caches: the chain key derived from the index key
    must not stay in memory after it."""
    chain.chain_mac()
    assert chain._derive.cache_info().currsize == 1
    assert chain._empty.cache_info().currsize == 1
    keys.reset_cache()
    assert chain._derive.cache_info().currsize == 0
    assert chain._empty.cache_info().currsize == 0
