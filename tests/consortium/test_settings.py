from channels.layers import get_channel_layer


def test_channel_layer_connections_have_no_read_timeout():
    """redis-py's default socket timeout would cut idle websockets every few
    seconds (consumers block reading their channel)."""
    layer = get_channel_layer()
    pool = layer.create_pool(0)
    assert pool.make_connection().socket_timeout is None
