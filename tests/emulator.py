"""What the tests of the streaming job (ingest and `moodcast stream`) do on the Pub/Sub emulator
(the `emulator` fixture, tests/conftest.py): a topic and subscription per test, and a post to
publish."""

from __future__ import annotations

from datetime import datetime

PROJECT, TOPIC, SUBSCRIPTION = "moodcast-test", "posts", "posts-moodcast"


def post(i: int, when: datetime, *, author: int) -> dict:
    """Post `i`, made `when` by author `author`: sad (odd `i`, in the north) or calm."""
    return {
        "id": f"p{i}",
        "created_at": when.isoformat(),
        "text": ("so sad and lonely tonight", "a calm and happy day")[i % 2],
        "lang": "en",
        "region": ("north", "south")[i % 2],
        "author_id": f"author-{author}",
    }


def topic_and_subscription(emulator: str, monkeypatch, name: str):
    """A publisher on the emulator, with the test's topic `posts-<name>` and a subscription to
    it created: (publisher, topic path, subscription path)."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator)
    from google.cloud import pubsub_v1

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(PROJECT, f"{TOPIC}-{name}")
    subscription = subscriber.subscription_path(PROJECT, f"{SUBSCRIPTION}-{name}")
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic)
    return publisher, topic, subscription
