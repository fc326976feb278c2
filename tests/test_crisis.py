"""The crisis matcher: every phrase caught in every spelling, benign look-alikes mostly left
alone (SPEC §6)."""

import pytest

from app import crisis

POSITIVE = [
    "I want to kill myself",
    "i'm going to kill myself tonight",
    "thinking about killing myself",
    "kms",
    "honestly i might just kys",
    "I want to unalive myself",
    "I want to end my life",
    "I've been thinking of ending my life",
    "I just want to end it all",
    "I'm going to take my own life",
    "I'm thinking about suicide",
    "I feel suicidal",
    "I want to die",
    "i wanna die",
    "I want to be dead",
    "I wish I was dead",
    "I wish I were dead",
    "everyone would be better off dead, me first",
    "they'd be better off without me",
    "I have no reason to live",
    "there is nothing to live for",
    "I don't want to live anymore",
    "I do not want to be alive",
    "I can't go on anymore",
    "I cant go on like this",
    "I can't do this anymore",
    "I want to hurt myself",
    "I'm going to hurt myself",
    "I keep hurting myself",
    "I harm myself when it gets bad",
    "self-harm again last night",
    "I want to cut myself",
    "I've been cutting myself",
    "I want to hang myself",
    "I could shoot myself",
    "I'm going to jump off a bridge",
    "I will jump in front of a train",
    "I took an overdose",
    "thinking about an od",
    "I'm going to take all my pills",
    "I swallowed all the pills",
    "I'm taking the whole bottle of pills",
    "I want to take all my meds at once",
    "I hope I don't wake up",
    "I want to go to sleep and never wake up",
    "I'm planning to die",
    "I have a gun and I'm done",
    "I want to kill someone",
    "I'm going to hurt someone",
    "I feel like there is no way out",
    "Me quiero suicidar",
    "Pienso en el suicidio",
    "Quiero morir",
    "Quiero morirme ya",
    "Me voy a matar",
    "Quiero quitarme la vida",
    "Voy a acabar con mi vida",
    "No quiero vivir",
    "Ya no puedo más",
    "Estaría mejor muerta",
    "Quisiera estar muerto",
    "Me quiero hacer daño",
    "Quiero cortarme las venas",
    "Me voy a tomar todas las pastillas",
    "Tomé una sobredosis",
    "Voy a ahorcarme",
    "Voy a tirarme de un puente",
    "Quiero dormir y no despertar nunca",
    "Quiero desaparecer para siempre",
    "No hay salida para mí",
    "Tengo una pistola",
    "Voy a matar a alguien",
    "Me quiero matar",
    "I took a bunch of pills",
    "I swallowed pills",
    "Tomé muchas pastillas",
    "Me tomé un montón de pastillas",
    "k.m.s",
    "i want to k m s",
]

BENIGN_CORE = [
    "this traffic is killing me",
    "me muero de risa",
    "my phone died",
    "I'm dying to see that movie",
    "I could not wake up this morning",
    "I need to pick up my pills at the pharmacy",
    "the battery is dead",
    "I cut my hair last week",
    "me corté el pelo",
    "la batería se murió",
]

BENIGN = [
    *BENIGN_CORE,
    "my feet are killing me",
    "that joke killed me",
    "I nearly died laughing",
    "the plants died while I was away",
    "I hurt my knee at the gym",
    "I'm dead tired",
    "I'd kill for a coffee",
    "we lost the game, we got killed",
    "I take my pills every morning",
    "can you shoot me the address",
    "I'm going to jump in the pool",
    "I can't go on Tuesday",
    "is there a grief group near me",
    "my father died last year and I need a group",
    "me muero de hambre",
    "me mata el calor",
    "mi mamá murió el año pasado",
    "tomo mis pastillas en la mañana",
    "se me cayó el teléfono",
    "no puedo ir el martes",
    "quiero un grupo en español",
    "estoy muerta de cansancio",
    "quiero cortarme el pelo",
    "the suicide prevention walk is on Saturday",
    "no hay salida de emergencia en ese edificio",
]


def variants(phrase: str) -> list[str]:
    accented = phrase.translate(str.maketrans("aeiou", "áéíóú"))
    unaccented = phrase.translate(str.maketrans("áéíóúñ", "aeioun"))
    stretched = " ".join(word + word[-1] * 3 for word in phrase.split())
    punctuated = "... ".join(phrase.split()) + "!!!"
    return [phrase, phrase.upper(), accented, unaccented, stretched, punctuated]


def test_the_list_has_rules_in_both_languages_and_sixty_phrases_tested_here():
    assert len(POSITIVE) >= 60
    languages = {rule.language for rule in crisis.load().rules}
    assert languages == {"en", "es"}


@pytest.mark.parametrize("phrase", POSITIVE)
def test_every_crisis_phrase_is_caught_in_every_spelling(phrase):
    missed = [variant for variant in variants(phrase) if crisis.match(variant) is None]
    assert missed == []


@pytest.mark.parametrize("phrase", BENIGN_CORE)
def test_the_core_benign_phrases_never_match(phrase):
    assert [v for v in variants(phrase) if crisis.match(v)] == []


def test_benign_look_alikes_match_at_most_one_time_in_five():
    assert len(BENIGN) >= 30
    matched = [phrase for phrase in BENIGN if crisis.match(phrase)]
    assert len(matched) / len(BENIGN) <= 0.20, matched


def test_a_match_names_the_rule_and_list_version_but_not_the_text():
    text = "honestly I want to kill myself tonight"
    found = crisis.match(text, language="en")
    assert found is not None
    assert found.language == "en" and found.version == crisis.load().version
    assert found.rule.startswith("en.") and found.category == "direct"
    assert "honestly" not in repr(found) and text not in repr(found)


@pytest.mark.parametrize(
    "text",
    [
        "killmyself",  # run together
        "i wanttodie",
        "quieromorir",
        "sui cide is all i think about",  # split in two
        "i want to kill my self",  # as a speech recogniser writes it
        "i want to k1ll myself",  # text-speak digits
        "su1c1d3",
        "$uicide",
        "quiero matarme",  # the pronoun attached
        "voy a quitarme la vida",
        "me volví a cortar",
        "me volvi a cortar",  # without accents
        "i took 30 tylenol an hour ago",  # a quantity and an everyday brand
        "took like twenty advil",
        "me tomé 40 pastillas",
        "i'm going to jump off the parking garage tonight",
        "thinking about jumping from the bridge",
        "me voy a tirar del puente",
        "i'm a burden to everyone",
        "todos estarían mejor sin mí",
        "i wrote my goodbye letter",
        "giving away my things this week",
        "i want the pain to stop forever",
        "i just want to disappear and not wake up",
        "acabar con todo ya",
        "i've been cutting again",
    ],
)
def test_it_generalises_to_forms_no_list_spells_out(text):
    assert crisis.match(text) is not None, text


@pytest.mark.parametrize(
    "text",
    [
        "I could kill for a coffee",
        "help me find a group",
        "ayúdame a buscar un grupo",
        "cancel",
        "I take 2 tylenol for my back",
        "I take all my pills every morning",
        "I'm dying to see you",
        "me muero de risa",
        "esta tarea me está matando",
        "me corté el pelo",
        "me tiré en el sofá",
        "goodbye everyone, see you Tuesday",
        "is there a suicide loss survivors group",
        "my brother died by suicide last year",
        "I jumped off the bus at my stop",
        "I want to end things with my boyfriend",
        "I'm going to kill my brother if he eats my cake",
        "no hay salida de emergencia en ese edificio",
        "I'm killing myself laughing",
    ],
)
def test_look_alikes_are_left_alone(text):
    assert crisis.match(text) is None, crisis.match(text)


def test_a_spanish_speaker_using_english_words_is_still_caught():
    assert crisis.match("I want to die", language="es") is not None


@pytest.mark.parametrize("text", [None, "", "   ", "?!"])
def test_nothing_to_read_is_no_match(text):
    assert crisis.match(text) is None


def test_the_phrase_file_carries_a_version():
    assert crisis.load().version >= 1
