import asyncio

import pytest
from channels.layers import get_channel_layer


@pytest.mark.asyncio
async def test_channel_layer_delivers_a_burst_of_group_events_in_order():
    """A busy process receives thousands of events a second; the layer must
    neither drop them (the list-based layer did past its capacity) nor
    reorder them."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("burst-test", channel)
    try:
        await asyncio.sleep(0.05)  # the subscription reaches Redis
        for n in range(2000):
            await layer.group_send("burst-test", {"type": "t.n", "n": n})
        received = [
            (await asyncio.wait_for(layer.receive(channel), 5))["n"]
            for _ in range(2000)
        ]
        assert received == list(range(2000))
    finally:
        await layer.group_discard("burst-test", channel)
        await layer.flush()
