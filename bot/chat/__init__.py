"""The chat service: what the bot does for a chat, the conversation plus the chat's memory.

``service`` is the one door (``ChatService.handle``); ``memory`` caches chat state,
``readers`` and ``editors`` own the commands that change or read storage, and
``question_log`` writes question statistics behind the answers.
"""
