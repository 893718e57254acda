"""A Telegram bot that turns a published interview into a conversation.

Glossary: one word per concept, used the same way in code, comments and tests.

- **content**: the YAML under ``intents/``, loaded into ``Content`` (topics, interface
  strings, out-of-scope examples).
- **topic**: one thing a reader can ask about. *Interview topics* (``relations`` …
  ``culture``) carry the interview's answers and can be followed; *conversation topics*
  (``about``, ``greeting``, ``thanks``, ``help``) answer the chat itself.
- **classifier**: the TF-IDF model that maps a text to a ``Prediction`` (topic or none,
  confidence, alternatives). **Evidence**: the answers' own words, a second opinion.
- **subject**: what a message is about; when it is another country (``Places``, from
  ``subjects.yaml``), the message is declined whatever the classifier says.
- **conversation**: ``Conversation``, what other bots call their engine: it builds every
  ``Reply`` from content and classifier. Pure: no Telegram, no database.
- **chat service**: ``ChatService``, the one door (``handle(origin, incoming)``) that adds
  a chat's memory to the conversation.
- **incoming**: what a front end hands the chat service: a ``Text``, a ``Press`` (button),
  a ``Command`` or ``Other`` (sticker, photo…). **origin**: who sent it.
- **reply**: what comes back, with a ``Display`` (new message, replace the pressed one,
  buttons only) and an optional **toast** (the pressed button's notice).
- **action**: what a button does (``ActionKind`` + argument), carried as callback data.
- **language** (``lang``): the language a text is written in. **Interface language**
  (``ui``): the language of a chat's buttons, menus and notices: its /language choice,
  else Telegram's ``language_code``.
- **chat**: a Telegram chat the bot talks with; its **chat state** is its language choice
  and what it follows.
- **follow**: what ``/subscribe`` does; a **subscriber** is an active chat following
  something. ``Following`` says what: everything, or a set of topics.
- **bulletin**: what an editor publishes to subscribers (readers and the command line call
  it an *update*; in code that word is kept for Telegram's ``Update``).
- **delivery**: one bulletin to one chat, queued in the **outbox** until a **worker** sends
  it. A worker's claim on a delivery is a **lease**, renewed while the worker lives; only
  the **delivery leader** (one process per bot, elected on PostgreSQL) runs a worker.
- **flood control**: Telegram's limits and its ``RetryAfter`` answers; ``bot.flood`` keeps
  replies within them, the worker its broadcasts.
- **engine**: only SQLAlchemy's ``AsyncEngine``. **Database**: the engine with its
  read/write transactions. **Storage**: the stores over one database (chats, outbox,
  questions, statistics).
- **question**: a classified message, counted per topic; the text of unanswered ones is
  kept for editors a while.
"""

__version__ = "0.1.0"
