"""The creator's personal AI assistant: knowledge, retrieval, handoff, guardrails, insights.

    a = st.assistant("mira")        # one Assistant per creator and open home
    a.setup("mira.yaml")            # profile, gigs and packages, Q&A, handoff topics
    a.reply("How much is a logo?").text

The parts, each in its own module:

- `knowledge`: the knowledge YAML file, validated with field names and line numbers, and the same
  rules per form field; `facts`: what the gig data and profile answer, with example questions;
- `reading`: what a message asks of the packages (names, attributes, money, deadlines, quantities);
  `answers`: package answers written from the file's own figures;
- `index`: the retrieval index over approved pairs, facts and handoff topics, and its cache;
- `replies`: the reply policy (the creator's calls, handoff topics, confidence, guardrails), handoff
  texts, summaries; `guardrails`: what a draft may not claim;
- `inbox`: when the assistant answers (paused, away, new clients, out-of-office);
  `conversations`: each conversation's client and takeover;
- `chats`: the past-chat import and the Q&A pairs proposed from it; `insights`: the analytics;
- `library`, `messages`: the stored knowledge, settings, Q&A pairs and message log;
- `core`: the `Assistant` facade that composes them; `views`: the dataclasses it returns.

Not imported by `import studio` (it pulls in numpy/scipy, and torch once a message is
embedded); import it where it is used.
"""

from studio.assistant.chats import parse_chats
from studio.assistant.core import Assistant
from studio.assistant.knowledge import Knowledge, load as load_knowledge, parse as parse_knowledge
from studio.assistant.views import MessageView, QAView, Reply

__all__ = ["Assistant", "Reply", "QAView", "MessageView", "Knowledge", "load_knowledge", "parse_knowledge",
           "parse_chats"]
