from app.prompts import load_catalog, placeholders


def test_the_languages_offered_are_the_files_present():
    assert load_catalog().languages == ["en", "es"]


def test_every_key_exists_in_every_language():
    catalog = load_catalog()
    keys = {code: set(texts) for code, texts in catalog.texts.items()}
    assert keys["en"] == keys["es"]


def test_every_template_has_the_same_placeholders_in_every_language():
    catalog = load_catalog()
    for key, english in catalog.texts["en"].items():
        for code in catalog.languages:
            assert placeholders(catalog.texts[code][key]) == placeholders(english), (code, key)


def test_no_template_uses_smart_quotes_or_emoji():
    catalog = load_catalog()
    for code in catalog.languages:
        for key, text in catalog.texts[code].items():
            assert not any(ch in text for ch in "\u2018\u2019\u201c\u201d"), (code, key)
            assert all(ord(ch) < 0x2000 for ch in text), (code, key)


def test_each_language_names_its_voice_and_speech_recognition_language():
    catalog = load_catalog()
    assert catalog.meta["en"].speech_language == "en-US"
    assert catalog.meta["es"].say_language == "es-US"
    assert catalog.meta["es"].voice.startswith("Polly.")
