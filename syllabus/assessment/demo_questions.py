"""The demo question bank of Northwind Health, as data: the categories and the questions of the shared bank
"Northwind question bank" (`syllabus.assessment.demo` writes them through `services.questions.question_create`, so
each type's `clean` checks them as it checks an author's).

Every question has a stable `key`, stored as its ID number: a second seed finds it there and adds nothing. The
`data` of each question is in the shape of `question_types/README.md` (option ids are left out: `clean` gives random
ones). Skills are named by their code in the demo skills framework (`syllabus.skills.demo`).

The content follows UK practice for NHS training (Resuscitation Council UK adult basic life support, the Caldicott
principles, HTM 07-01 waste streams): plausible for a demo, not clinical guidance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BANK_NAME = "Northwind question bank"
BANK_DESCRIPTION = (
    "Questions shared by every Northwind Health course: mandatory training checks (fire, infection control, "
    "information governance, life support), clinical calculations and wellbeing."
)

# Category paths ("Parent/Child"), parents first, in the order the bank lists them.
FIRE = "Fire safety"
EXTINGUISHERS = "Fire safety/Extinguishers"
EVACUATION = "Fire safety/Evacuation"
INFECTION = "Infection control"
GOVERNANCE = "Information governance"
CALCULATIONS = "Clinical calculations"
LIFE_SUPPORT = "Life support"
WELLBEING = "Wellbeing"
CATEGORIES: tuple[tuple[str, str], ...] = (
    (FIRE, "Preventing fire, the fire procedure, extinguishers and evacuation."),
    (EXTINGUISHERS, "Which extinguisher for which fire, and how to use one."),
    (EVACUATION, "Progressive horizontal evacuation and the ward's fire roles."),
    (INFECTION, "Hand hygiene, personal protective equipment, sharps and waste."),
    (GOVERNANCE, "UK GDPR, the Caldicott principles, confidentiality and data breaches."),
    (CALCULATIONS, "Drug doses, unit conversions and infusion rates."),
    (LIFE_SUPPORT, "Adult basic life support and the defibrillator."),
    (WELLBEING, "Looking after yourself and your colleagues, and where to get help."),
)


@dataclass(frozen=True)
class DemoQuestion:
    key: str  # stored as the question's ID number: how a second seed recognises it
    category: str  # a path of CATEGORIES
    qtype: str
    name: str
    text: str
    data: dict[str, Any]
    difficulty: int = 3
    tags: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    default_mark: str = "1"
    general_feedback: str = ""


@dataclass(frozen=True)
class EssayAnswer:
    """A learner's answer to an essay, the share of the mark a grader gives it, and the grader's comment."""

    text: str
    fraction: str
    comment: str


def _options(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    """Choice options from (text, fraction, feedback) rows."""
    return [{"text": text, "fraction": fraction, "feedback": feedback} for text, fraction, feedback in rows]


def _single(*rows: tuple[str, str, str], shuffle: bool = True) -> dict[str, Any]:
    return {"options": _options(*rows), "shuffle": shuffle, "numbering": "abc"}


def _truefalse(correct: bool, if_true: str, if_false: str) -> dict[str, Any]:
    return {"correct": correct, "feedback_true": f"<p>{if_true}</p>", "feedback_false": f"<p>{if_false}</p>"}


def _short(*rows: tuple[str, str, str], case_sensitive: bool = False) -> dict[str, Any]:
    return {
        "answers": [{"text": text, "fraction": fraction, "feedback": feedback} for text, fraction, feedback in rows],
        "case_sensitive": case_sensitive,
    }


def _numerical(
    *rows: tuple[str, str, str, str], units: tuple[tuple[str, str], ...] = (), handling: str = "none"
) -> dict[str, Any]:
    """From (value, tolerance, fraction, feedback) rows and (unit, multiplier) pairs."""
    return {
        "answers": [
            {"value": value, "tolerance": tolerance, "fraction": fraction, "feedback": feedback}
            for value, tolerance, fraction, feedback in rows
        ],
        "units": [{"unit": unit, "multiplier": multiplier} for unit, multiplier in units],
        "unit_handling": handling,
        "unit_penalty": "0.1",
    }


def _essay(grader_info: str, *, min_words: int = 0, max_words: int = 0) -> dict[str, Any]:
    return {
        "response_format": "plain",
        "min_words": min_words,
        "max_words": max_words,
        "grader_info": grader_info,
        "template": "",
    }


QUESTIONS: tuple[DemoQuestion, ...] = (
    # --- Fire safety ------------------------------------------------------------------------------------------
    DemoQuestion(
        key="nw-fire-triangle",
        category=FIRE,
        qtype="truefalse",
        name="The fire triangle",
        text="<p>A fire needs three things to start and keep burning: heat, fuel and oxygen.</p>",
        data=_truefalse(
            True,
            "Right: take away any one side of the triangle and the fire goes out.",
            "It does: heat, fuel and oxygen. Take away any one of them and the fire goes out.",
        ),
        difficulty=1,
        tags=("fire triangle",),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-fire-discover",
        category=FIRE,
        qtype="single",
        name="Discovering a fire",
        text="<p>You discover a small fire in the linen cupboard of your ward. What do you do <strong>first</strong>?"
        "</p>",
        data=_single(
            ("Raise the alarm at the nearest fire alarm call point", "1", "<p>Yes: everyone must know at once.</p>"),
            (
                "Try to put the fire out with the nearest extinguisher",
                "0",
                "<p>Only after the alarm is raised, and only if you are trained and it is safe.</p>",
            ),
            (
                "Tell the nurse in charge and wait for instructions",
                "0",
                "<p>Raise the alarm first: every second counts.</p>",
            ),
            ("Close the cupboard door and carry on", "0", "<p>Closing the door helps, but the alarm comes first.</p>"),
        ),
        difficulty=2,
        tags=("fire procedure",),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-fire-oxygen-risks",
        category=FIRE,
        qtype="multiple",
        name="Fire risks in clinical areas",
        text="<p>Which of these make a fire in a clinical area more likely or worse? Choose all that apply.</p>",
        data=_single(
            ("Oxygen cylinders and piped oxygen", "0.3333333", "<p>Oxygen makes everything burn faster.</p>"),
            (
                "Paraffin-based emollients soaked into bedding",
                "0.3333333",
                "<p>Dried emollient makes fabric catch fire easily.</p>",
            ),
            ("Damaged or overloaded electrical equipment", "0.3333333", ""),
            ("Closed fire doors", "-1", "<p>Closed fire doors hold a fire back for at least 30 minutes.</p>"),
        ),
        difficulty=3,
        tags=("oxygen", "emollients", "fire risk"),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-fire-procedure-order",
        category=FIRE,
        qtype="ordering",
        name="The fire procedure",
        text="<p>Put the steps of the fire procedure in order, from first to last.</p>",
        data={
            "items": [
                {"text": "Raise the alarm at the nearest call point"},
                {"text": "Call the switchboard on 2222 and give the exact location"},
                {"text": "Move patients away from the fire, behind the next set of fire doors"},
                {"text": "Report to the nurse in charge at the assembly point"},
            ],
            "grading": "absolute_position",
        },
        difficulty=2,
        tags=("fire procedure",),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-fire-triangle-gaps",
        category=FIRE,
        qtype="gapselect",
        name="Putting a fire out",
        text="<p>A fire blanket puts out a fire by removing its [[1]]. Cooling with water removes its [[2]], and "
        "switching off the gas supply removes its [[3]].</p>",
        data={
            "choices": [
                {"text": "oxygen", "group": 1},
                {"text": "heat", "group": 1},
                {"text": "fuel", "group": 1},
            ],
            "shuffle": True,
        },
        difficulty=2,
        tags=("fire triangle",),
        skills=("fire-safety",),
    ),
    # --- Fire safety › Extinguishers ------------------------------------------------------------------------
    DemoQuestion(
        key="nw-ext-match",
        category=EXTINGUISHERS,
        qtype="matching",
        name="Extinguisher for each fire",
        text="<p>Match each fire with the extinguisher to use on it.</p>",
        data={
            "pairs": [
                {"prompt": "<p>Paper and wood (class A)</p>", "answer": "Water (red label)"},
                {"prompt": "<p>A smoking computer monitor</p>", "answer": "Carbon dioxide (black label)"},
                {"prompt": "<p>Cooking oil in a deep fat fryer (class F)</p>", "answer": "Wet chemical (yellow label)"},
                {
                    "prompt": "<p>Flammable liquids such as surgical spirit (class B)</p>",
                    "answer": "Foam (cream label)",
                },
                {"prompt": "", "answer": "Dry powder (blue label)"},
            ],
            "shuffle": True,
        },
        difficulty=3,
        tags=("extinguishers",),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-ext-electrical",
        category=EXTINGUISHERS,
        qtype="single",
        name="Electrical fire",
        text="<p>Which extinguisher is safe on a fire in live electrical equipment?</p>",
        data=_single(
            (
                "Carbon dioxide (black label)",
                "1",
                "<p>Yes: CO<sub>2</sub> does not conduct electricity and leaves no residue.</p>",
            ),
            ("Water (red label)", "0", "<p>Never: water conducts electricity.</p>"),
            ("Foam (cream label)", "0", "<p>Foam contains water: not on live equipment.</p>"),
            ("Wet chemical (yellow label)", "0", "<p>Wet chemical is for cooking oil fires.</p>"),
        ),
        difficulty=2,
        tags=("extinguishers", "electrical"),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-ext-chip-pan",
        category=EXTINGUISHERS,
        qtype="truefalse",
        name="Water on a cooking oil fire",
        text="<p>A water extinguisher is a good choice for a fire in a pan of cooking oil.</p>",
        data=_truefalse(
            False,
            "No: water on burning oil turns to steam at once and throws the burning oil out of the pan.",
            "Right: use a wet chemical extinguisher or a fire blanket, never water.",
        ),
        difficulty=1,
        tags=("extinguishers", "kitchens"),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-ext-pass",
        category=EXTINGUISHERS,
        qtype="ddwtos",
        name="Using an extinguisher (PASS)",
        text="<p>To use an extinguisher: [[1]] the pin, [[2]] at the base of the fire, [[3]] the handle and "
        "[[4]] from side to side.</p>",
        data={
            "choices": [
                {"text": "Pull", "group": 1, "infinite": False},
                {"text": "Aim", "group": 1, "infinite": False},
                {"text": "Squeeze", "group": 1, "infinite": False},
                {"text": "Sweep", "group": 1, "infinite": False},
                {"text": "Shake", "group": 1, "infinite": False},
            ],
            "shuffle": True,
        },
        difficulty=2,
        tags=("extinguishers", "pass"),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-ext-co2-colour",
        category=EXTINGUISHERS,
        qtype="shortanswer",
        name="Colour of a CO2 extinguisher",
        text="<p>What colour is the label band of a carbon dioxide extinguisher? Answer in one word.</p>",
        data=_short(("black", "1", "<p>Yes: black.</p>"), ("red", "0", "<p>Red is water.</p>")),
        difficulty=2,
        tags=("extinguishers",),
        skills=("fire-safety",),
    ),
    # --- Fire safety › Evacuation ---------------------------------------------------------------------------
    DemoQuestion(
        key="nw-evac-scenario",
        category=EVACUATION,
        qtype="description",
        name="Night shift scenario",
        text="<p>The next questions are about this situation. It is 03:00 on Ward 7 (Cardiology). The fire alarm "
        "sounds, and the fire panel shows smoke in the day room of compartment A, next to bays 1–3. Two nurses and a "
        "healthcare assistant are on duty; three of the twelve patients cannot walk.</p>",
        data={},
        difficulty=1,  # a passage to read, not a question: random draws of difficulty 2 and above leave it out
        tags=("scenario", "night shift"),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-evac-horizontal",
        category=EVACUATION,
        qtype="single",
        name="Progressive horizontal evacuation",
        text="<p>In progressive horizontal evacuation, where do you move patients first?</p>",
        data=_single(
            (
                "To the next fire compartment on the same floor",
                "1",
                "<p>Yes: behind at least one set of fire doors, away from the fire.</p>",
            ),
            (
                "Straight out of the building to the assembly point",
                "0",
                "<p>Only if the fire spreads: moving patients out of the building is the last resort.</p>",
            ),
            (
                "To the floor below, by the nearest lift",
                "0",
                "<p>Never use the lifts in a fire unless they are evacuation lifts run by trained staff.</p>",
            ),
            ("They stay in their beds until the fire service arrives", "0", ""),
        ),
        difficulty=3,
        tags=("evacuation",),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-evac-lifts",
        category=EVACUATION,
        qtype="truefalse",
        name="Lifts in a fire",
        text="<p>During a fire alarm you may use the passenger lifts to move patients who cannot walk.</p>",
        data=_truefalse(
            False,
            "No: passenger lifts can fail or open onto the fire floor. Only designated evacuation lifts, run by "
            "trained staff, are used.",
            "Right: never the passenger lifts.",
        ),
        difficulty=2,
        tags=("evacuation", "lifts"),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-evac-fire-door",
        category=EVACUATION,
        qtype="numerical",
        name="How long a fire door holds",
        text="<p>A closed fire door (FD30) holds back fire and smoke for at least how many minutes?</p>",
        data=_numerical(
            ("30", "0", "1", "<p>Yes: 30 minutes, time to move patients to safety.</p>"),
            ("60", "0", "0.5", "<p>Some doors do (FD60), but a ward's fire doors are usually FD30.</p>"),
            units=(("minutes", "1"), ("min", "1")),
            handling="optional",
        ),
        difficulty=3,
        tags=("evacuation", "fire doors"),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-evac-priority",
        category=EVACUATION,
        qtype="multiple",
        name="Who moves first",
        text="<p>Smoke is coming from the day room next to bays 1–3. Which patients do you move first? Choose all "
        "that apply.</p>",
        data=_single(
            ("The patients nearest the fire", "0.5", "<p>Yes: those in immediate danger first.</p>"),
            (
                "The patients who can walk, so they can help",
                "0",
                "<p>They can walk out with a member of staff, but they are not the priority.</p>",
            ),
            ("Patients on oxygen in the bays next to the fire", "0.5", "<p>Yes: oxygen feeds a fire.</p>"),
            ("The patients furthest from the fire", "-0.5", "<p>They are safest where they are for now.</p>"),
        ),
        difficulty=4,
        tags=("evacuation", "scenario"),
        skills=("fire-safety",),
    ),
    DemoQuestion(
        key="nw-evac-essay",
        category=EVACUATION,
        qtype="essay",
        name="Evacuating a bay at night",
        text="<p>Using the night shift scenario, describe in your own words how you and your two colleagues would "
        "evacuate bay 1 (six patients, two of whom cannot walk). Say who does what, where the patients go and what "
        "you tell the fire service when they arrive.</p>",
        data=_essay(
            "<p>Look for: raise the alarm and call 2222 with the exact location; close doors; move the patients "
            "nearest the fire first, horizontally, to compartment B behind the fire doors; the two who cannot walk "
            "on their beds or with ski sheets; oxygen off at the zone valve only on the nurse in charge's word; a "
            "head count and a handover to the fire service (where the fire is, who is where, oxygen). 4 marks: all "
            "of these; 2: the main steps without the roles or the handover.</p>",
            min_words=50,
            max_words=400,
        ),
        difficulty=5,
        tags=("evacuation", "scenario", "night shift"),
        skills=("fire-safety",),
        default_mark="4",
    ),
    # --- Infection control ------------------------------------------------------------------------------------
    DemoQuestion(
        key="nw-ipc-five-moments",
        category=INFECTION,
        qtype="single",
        name="The five moments",
        text="<p>Which of these is <strong>not</strong> one of the WHO's five moments for hand hygiene?</p>",
        data=_single(
            (
                "Before entering the hospital building",
                "1",
                "<p>Right: the five moments are all about the patient zone.</p>",
            ),
            ("Before touching a patient", "0", "<p>This is moment 1.</p>"),
            ("After touching a patient's surroundings", "0", "<p>This is moment 5.</p>"),
            ("After a risk of exposure to body fluids", "0", "<p>This is moment 3.</p>"),
        ),
        difficulty=2,
        tags=("hand hygiene", "five moments"),
        skills=("hand-hygiene",),
    ),
    DemoQuestion(
        key="nw-ipc-cdiff",
        category=INFECTION,
        qtype="truefalse",
        name="Hand rub and C. difficile",
        text="<p>Alcohol hand rub kills <em>Clostridioides difficile</em> spores.</p>",
        data=_truefalse(
            False,
            "No: alcohol does not kill C. difficile spores. Wash your hands with soap and water.",
            "Right: soap and water removes the spores; alcohol rub does not kill them.",
        ),
        difficulty=3,
        tags=("hand hygiene", "c. difficile"),
        skills=("hand-hygiene", "infection-prevention"),
    ),
    DemoQuestion(
        key="nw-ipc-contact-ppe",
        category=INFECTION,
        qtype="multiple",
        name="PPE for contact precautions",
        text="<p>You are about to change the bedding of a patient with MRSA in a side room. What do you wear? "
        "Choose all that apply.</p>",
        data=_single(
            ("Disposable gloves", "0.5", ""),
            ("A disposable apron", "0.5", ""),
            (
                "An FFP3 respirator",
                "-0.5",
                "<p>Not for contact precautions: respirators are for airborne "
                "infections and aerosol-generating procedures.</p>",
            ),
            ("Your own cardigan, to keep your uniform clean", "-1", "<p>Never: it would carry MRSA off the ward.</p>"),
        ),
        difficulty=3,
        tags=("ppe", "mrsa"),
        skills=("ppe",),
    ),
    DemoQuestion(
        key="nw-ipc-donning",
        category=INFECTION,
        qtype="ordering",
        name="Putting on PPE",
        text="<p>Put these in the order you put them on.</p>",
        data={
            "items": [
                {"text": "Apron or gown"},
                {"text": "Surgical mask or respirator"},
                {"text": "Eye protection"},
                {"text": "Gloves"},
            ],
            "grading": "relative_next",
        },
        difficulty=3,
        tags=("ppe", "donning"),
        skills=("ppe",),
    ),
    DemoQuestion(
        key="nw-ipc-waste",
        category=INFECTION,
        qtype="matching",
        name="Waste streams",
        text="<p>Which bag or bin does each item go in?</p>",
        data={
            "pairs": [
                {"prompt": "<p>A dressing soiled with blood from an infected wound</p>", "answer": "Orange bag"},
                {"prompt": "<p>An empty crisp packet from the staff room</p>", "answer": "Black bag"},
                {
                    "prompt": "<p>An incontinence pad from a patient with no infection</p>",
                    "answer": "Yellow and black (tiger) bag",
                },
                {"prompt": "<p>A used needle from a syringe of medicine</p>", "answer": "Sharps bin, yellow lid"},
                {"prompt": "", "answer": "Purple-lidded bin"},
            ],
            "shuffle": True,
        },
        difficulty=2,
        tags=("waste",),
        skills=("infection-prevention",),
    ),
    DemoQuestion(
        key="nw-ipc-rub-seconds",
        category=INFECTION,
        qtype="numerical",
        name="How long a hand rub takes",
        text="<p>Rubbing alcohol hand rub over every surface of your hands takes about how many seconds?</p>",
        data=_numerical(
            ("25", "5", "1", "<p>Yes: 20–30 seconds, until your hands are dry.</p>"),
            ("50", "10", "0", "<p>That is how long a wash with soap and water takes (40–60 seconds).</p>"),
            units=(("seconds", "1"), ("s", "1"), ("minutes", "60")),
            handling="optional",
        ),
        difficulty=2,
        tags=("hand hygiene", "hand rub"),
        skills=("hand-hygiene",),
    ),
    DemoQuestion(
        key="nw-ipc-sharps-gaps",
        category=INFECTION,
        qtype="gapselect",
        name="Sharps safety",
        text="<p>Never [[1]] a used needle. Put it in the sharps bin [[4]] you have used it, and close the bin "
        "when it is [[7]] full.</p>",
        data={
            "choices": [
                {"text": "re-sheathe", "group": 1},
                {"text": "carry", "group": 1},
                {"text": "clean", "group": 1},
                {"text": "straight after", "group": 2},
                {"text": "at the end of the shift after", "group": 2},
                {"text": "once your manager has seen", "group": 2},
                {"text": "three-quarters", "group": 3},
                {"text": "completely", "group": 3},
                {"text": "half", "group": 3},
            ],
            "shuffle": True,
        },
        difficulty=2,
        tags=("sharps",),
        skills=("sharps-safety",),
    ),
    DemoQuestion(
        key="nw-ipc-needlestick-cloze",
        category=INFECTION,
        qtype="cloze",
        name="After a needlestick injury",
        text="<p>After a needlestick injury, encourage the wound to {1:MULTICHOICE:=bleed#Yes, gently. Do not "
        "suck it.~close#No, let it bleed.~scab#No, let it bleed.}, wash it under running water with "
        "{1:SHORTANSWER:=soap#Yes.~%50%antiseptic#Soap and water is enough.}, do not scrub it, and report it to "
        "Occupational Health within {1:NUMERICAL:=1:0#Yes, the same hour, in case you need treatment.~24:0#"
        "Too late. Post-exposure treatment works best within the first hour.} hour(s).</p>",
        data={},
        difficulty=3,
        tags=("sharps", "needlestick"),
        skills=("sharps-safety",),
    ),
    # --- Information governance ------------------------------------------------------------------------------
    DemoQuestion(
        key="nw-ig-own-record",
        category=GOVERNANCE,
        qtype="truefalse",
        name="Looking at records out of curiosity",
        text="<p>You may look at the record of a neighbour who was admitted to another ward, as long as you do not "
        "tell anyone what you read.</p>",
        data=_truefalse(
            False,
            "No: you may only look at a record when you need it for the person's care. Every access is logged.",
            "Right: only when you need it for their care. Every access is logged and audited.",
        ),
        difficulty=2,
        tags=("confidentiality",),
        skills=("data-protection",),
    ),
    DemoQuestion(
        key="nw-ig-caldicott-count",
        category=GOVERNANCE,
        qtype="single",
        name="How many Caldicott principles",
        text="<p>How many Caldicott principles are there?</p>",
        data=_single(
            ("Eight", "1", "<p>Yes: the eighth (inform patients' expectations) was added in 2020.</p>"),
            ("Seven", "0", "<p>There were seven until 2020.</p>"),
            ("Six", "0", ""),
            ("Ten", "0", ""),
        ),
        difficulty=2,
        tags=("caldicott",),
        skills=("information-governance",),
    ),
    DemoQuestion(
        key="nw-ig-personal-data",
        category=GOVERNANCE,
        qtype="multiple",
        name="Special category data",
        text="<p>Which of these are <em>special category</em> data under the UK GDPR? Choose all that apply.</p>",
        data=_single(
            ("A patient's diagnosis", "0.3333333", ""),
            ("A member of staff's religion", "0.3333333", ""),
            ("A patient's ethnic origin", "0.3333333", ""),
            ("The hospital's switchboard number", "-1", "<p>This is not personal data at all.</p>"),
        ),
        difficulty=3,
        tags=("uk gdpr", "special category data"),
        skills=("data-protection",),
    ),
    DemoQuestion(
        key="nw-ig-breach-hours",
        category=GOVERNANCE,
        qtype="numerical",
        name="Reporting a breach to the ICO",
        text="<p>A reportable personal data breach must be reported to the Information Commissioner's Office "
        "within how many hours of the organisation becoming aware of it?</p>",
        data=_numerical(
            ("72", "0", "1", "<p>Yes: 72 hours. Tell the Information Governance team at once, so they can.</p>"),
            ("24", "0", "0", "<p>Sooner is better, but the legal limit is 72 hours.</p>"),
            units=(("hours", "1"), ("days", "24")),
            handling="optional",
        ),
        difficulty=3,
        tags=("data breach", "ico"),
        skills=("data-protection",),
    ),
    DemoQuestion(
        key="nw-ig-principles-match",
        category=GOVERNANCE,
        qtype="matching",
        name="UK GDPR principles in practice",
        text="<p>Match each practice with the UK GDPR principle it follows.</p>",
        data={
            "pairs": [
                {"prompt": "<p>Only the fields the referral needs are sent</p>", "answer": "Data minimisation"},
                {
                    "prompt": "<p>Records are destroyed when their retention period ends</p>",
                    "answer": "Storage limitation",
                },
                {"prompt": "<p>A patient's new address is updated the day they tell us</p>", "answer": "Accuracy"},
                {
                    "prompt": "<p>Laptops are encrypted and screens locked when unattended</p>",
                    "answer": "Integrity and confidentiality",
                },
                {"prompt": "", "answer": "Purpose limitation"},
            ],
            "shuffle": True,
        },
        difficulty=4,
        tags=("uk gdpr",),
        skills=("data-protection",),
    ),
    DemoQuestion(
        key="nw-ig-caldicott-ddwtos",
        category=GOVERNANCE,
        qtype="ddwtos",
        name="The duty to share",
        text="<p>The seventh Caldicott principle: the duty to [[1]] information for individual care is as "
        "important as the duty to [[2]] patient confidentiality.</p>",
        data={
            "choices": [
                {"text": "share", "group": 1, "infinite": False},
                {"text": "protect", "group": 1, "infinite": False},
                {"text": "delete", "group": 1, "infinite": False},
                {"text": "sell", "group": 1, "infinite": False},
            ],
            "shuffle": True,
        },
        difficulty=3,
        tags=("caldicott", "sharing"),
        skills=("information-governance",),
    ),
    DemoQuestion(
        key="nw-ig-phone-essay",
        category=GOVERNANCE,
        qtype="essay",
        name="A caller asks for a patient's address",
        text="<p>Someone phones the ward, says they are a patient's son and asks for her home address so he can "
        "bring her clothes in. What do you do, and why?</p>",
        data=_essay(
            "<p>Look for: do not confirm or give details over the phone to an unverified caller; check with the "
            "patient (and her record's sharing preferences); offer to pass a message or call back on a number from "
            "the record; the Caldicott principles (justify the purpose, minimum necessary).</p>",
            max_words=300,
        ),
        difficulty=3,
        tags=("confidentiality", "telephone"),
        skills=("data-protection",),
        default_mark="2",
    ),
    # --- Clinical calculations -------------------------------------------------------------------------------
    DemoQuestion(
        key="nw-calc-weight-dose",
        category=CALCULATIONS,
        qtype="calculated",
        name="Dose by weight",
        text="<p>A patient weighs {weight} kg. The prescription is {dose} mg/kg of a drug. What total dose, in mg, "
        "do you give?</p>",
        data={
            "answers": [
                {
                    "formula": "{weight} * {dose}",
                    "fraction": "1",
                    "tolerance": "0.01",
                    "tolerance_type": "relative",
                    "decimals": 1,
                    "feedback": "<p>Weight × dose per kg.</p>",
                },
                {
                    "formula": "{weight} / {dose}",
                    "fraction": "0",
                    "tolerance": "0.01",
                    "tolerance_type": "relative",
                    "decimals": 1,
                    "feedback": "<p>Multiply, do not divide: weight × dose per kg.</p>",
                },
            ],
            "variables": [
                {"name": "weight", "min": "45", "max": "110", "decimals": 0},
                {"name": "dose", "min": "1", "max": "5", "decimals": 1},
            ],
            "units": [{"unit": "mg", "multiplier": "1"}],
            "unit_handling": "optional",
            "unit_penalty": "0.1",
        },
        difficulty=3,
        tags=("dose calculation",),
        skills=("medication-safety",),
        default_mark="2",
    ),
    DemoQuestion(
        key="nw-calc-infusion-rate",
        category=CALCULATIONS,
        qtype="calculated",
        name="Infusion pump rate",
        text="<p>{volume} mL of sodium chloride 0.9% is to run over {hours} hours by infusion pump. At what rate, "
        "in mL/hour, do you set the pump?</p>",
        data={
            "answers": [
                {
                    "formula": "{volume} / {hours}",
                    "fraction": "1",
                    "tolerance": "0.5",
                    "tolerance_type": "nominal",
                    "decimals": 1,
                    "feedback": "<p>Volume ÷ time in hours.</p>",
                },
            ],
            "variables": [
                {"name": "volume", "min": "500", "max": "1000", "decimals": 0},
                {"name": "hours", "min": "4", "max": "12", "decimals": 0},
            ],
            "units": [{"unit": "mL/hour", "multiplier": "1"}, {"unit": "mL/h", "multiplier": "1"}],
            "unit_handling": "optional",
            "unit_penalty": "0.1",
        },
        difficulty=4,
        tags=("infusions",),
        skills=("medication-safety",),
        default_mark="2",
    ),
    DemoQuestion(
        key="nw-calc-grams",
        category=CALCULATIONS,
        qtype="numerical",
        name="Grams to milligrams",
        text="<p>A prescription reads 0.5 g. How many milligrams is that?</p>",
        data=_numerical(
            ("500", "0", "1", "<p>Yes: 1 g = 1,000 mg.</p>"),
            ("50", "0", "0", "<p>1 g is 1,000 mg, not 100.</p>"),
            units=(("mg", "1"), ("g", "1000")),
            handling="optional",
        ),
        difficulty=2,
        tags=("unit conversion",),
        skills=("medication-safety",),
    ),
    DemoQuestion(
        key="nw-calc-tablets",
        category=CALCULATIONS,
        qtype="numerical",
        name="How many tablets",
        text="<p>Amoxicillin 750 mg is prescribed. The tablets are 250 mg each. How many tablets do you give?</p>",
        data=_numerical(("3", "0", "1", "<p>750 ÷ 250 = 3.</p>")),
        difficulty=1,
        tags=("dose calculation", "tablets"),
        skills=("medication-safety",),
    ),
    DemoQuestion(
        key="nw-calc-liquid-cloze",
        category=CALCULATIONS,
        qtype="cloze",
        name="Liquid medicine",
        text="<p>Paracetamol oral suspension is 250 mg in 5 mL. The prescription is 500 mg. You give "
        "{1:NUMERICAL:=10:0#Yes, 500 ÷ 250 × 5 = 10 mL.~5:0#That is 250 mg.} mL, measured with an "
        "{1:MULTICHOICE:=oral syringe#Yes, accurate, and it cannot be used for an injection.~medicine spoon#Not "
        "accurate enough.~IV syringe#Never. An oral dose must not be drawn up in an IV syringe.}.</p>",
        data={},
        difficulty=2,
        tags=("dose calculation", "liquids"),
        skills=("medication-safety",),
    ),
    DemoQuestion(
        key="nw-calc-abbreviation",
        category=CALCULATIONS,
        qtype="shortanswer",
        name="Twice a day",
        text="<p>Which abbreviation on a drug chart means “twice a day”?</p>",
        data=_short(
            ("BD", "1", "<p>Yes: <em>bis die</em>.</p>"),
            ("b.d.", "1", "<p>Yes: <em>bis die</em>, usually written BD.</p>"),
            ("TDS", "0", "<p>TDS is three times a day.</p>"),
        ),
        difficulty=1,
        tags=("abbreviations",),
        skills=("medication-safety",),
    ),
    # --- Life support -----------------------------------------------------------------------------------------
    DemoQuestion(
        key="nw-bls-rate",
        category=LIFE_SUPPORT,
        qtype="single",
        name="Compression rate",
        text="<p>At what rate do you give chest compressions to an adult?</p>",
        data=_single(
            ("100–120 a minute", "1", "<p>Yes: about two a second.</p>"),
            ("60–80 a minute", "0", "<p>Too slow to keep blood flowing to the brain.</p>"),
            ("140–160 a minute", "0", "<p>Too fast: the heart does not refill between compressions.</p>"),
        ),
        difficulty=2,
        tags=("cpr",),
        skills=("basic-life-support",),
    ),
    DemoQuestion(
        key="nw-bls-depth",
        category=LIFE_SUPPORT,
        qtype="numerical",
        name="Compression depth",
        text="<p>How deep, in centimetres, do you press the chest of an adult during CPR?</p>",
        data=_numerical(
            ("5.5", "0.5", "1", "<p>Yes: 5–6 cm.</p>"),
            units=(("cm", "1"), ("mm", "0.1")),
            handling="optional",
        ),
        difficulty=2,
        tags=("cpr",),
        skills=("basic-life-support",),
    ),
    DemoQuestion(
        key="nw-bls-sequence",
        category=LIFE_SUPPORT,
        qtype="ordering",
        name="The adult basic life support sequence",
        text="<p>An adult collapses in the corridor. Put the steps in order.</p>",
        data={
            "items": [
                {"text": "Check it is safe to approach"},
                {"text": "Check for a response"},
                {"text": "Open the airway and check for normal breathing"},
                {"text": "Call 2222 and ask for a defibrillator"},
                {"text": "Give 30 chest compressions"},
            ],
            "grading": "all_or_nothing",
        },
        difficulty=2,
        tags=("cpr", "sequence"),
        skills=("basic-life-support",),
    ),
    DemoQuestion(
        key="nw-bls-breaths-first",
        category=LIFE_SUPPORT,
        qtype="truefalse",
        name="Breaths before compressions",
        text="<p>For an adult in cardiac arrest, give five rescue breaths before starting chest compressions.</p>",
        data=_truefalse(
            False,
            "No: five rescue breaths first is for children and drowning. For an adult, start with 30 compressions.",
            "Right: for an adult, start with 30 compressions.",
        ),
        difficulty=2,
        tags=("cpr",),
        skills=("basic-life-support",),
    ),
    DemoQuestion(
        key="nw-bls-ratio-cloze",
        category=LIFE_SUPPORT,
        qtype="cloze",
        name="Compressions and breaths",
        text="<p>Give {1:NUMERICAL:=30:0} chest compressions, then {1:NUMERICAL:=2:0} rescue breaths, and go on "
        "until the {1:SHORTANSWER:=defibrillator#Yes.~=AED#Yes.~%50%doctor#Or the resuscitation team. Switch the "
        "defibrillator on as soon as it arrives.} is switched on and tells you what to do.</p>",
        data={},
        difficulty=3,
        tags=("cpr", "aed"),
        skills=("basic-life-support",),
    ),
    DemoQuestion(
        key="nw-bls-aed-gaps",
        category=LIFE_SUPPORT,
        qtype="gapselect",
        name="Using a defibrillator",
        text="<p>When the defibrillator arrives, [[1]] it and follow its voice prompts. While it analyses the "
        "heart rhythm, make sure [[4]] the patient.</p>",
        data={
            "choices": [
                {"text": "switch on", "group": 1},
                {"text": "test", "group": 1},
                {"text": "charge", "group": 1},
                {"text": "nobody touches", "group": 2},
                {"text": "you hold", "group": 2},
                {"text": "someone ventilates", "group": 2},
            ],
            "shuffle": True,
        },
        difficulty=3,
        tags=("aed",),
        skills=("basic-life-support",),
    ),
    # --- Wellbeing --------------------------------------------------------------------------------------------
    DemoQuestion(
        key="nw-wb-eap",
        category=WELLBEING,
        qtype="single",
        name="The Employee Assistance Programme",
        text="<p>When can you call the Employee Assistance Programme?</p>",
        data=_single(
            ("Any time, day or night: it is free and confidential", "1", ""),
            (
                "Only during office hours, after your manager has referred you",
                "0",
                "<p>No referral is needed, and it is open around the clock.</p>",
            ),
            (
                "Only after a serious incident at work",
                "0",
                "<p>It is there for anything that worries you, at work or at home.</p>",
            ),
        ),
        difficulty=1,
        tags=("support",),
        skills=("wellbeing",),
    ),
    DemoQuestion(
        key="nw-wb-burnout",
        category=WELLBEING,
        qtype="multiple",
        name="Signs of burnout",
        text="<p>Which of these can be signs of burnout? Choose all that apply.</p>",
        data=_single(
            ("Feeling exhausted even after days off", "0.3333333", ""),
            ("Feeling detached or cynical about patients and colleagues", "0.3333333", ""),
            ("Feeling that nothing you do makes a difference", "0.3333333", ""),
            ("Looking forward to a new project", "-1", ""),
        ),
        difficulty=2,
        tags=("burnout",),
        skills=("wellbeing",),
    ),
    DemoQuestion(
        key="nw-wb-speak-up",
        category=WELLBEING,
        qtype="shortanswer",
        name="Who to speak up to",
        text="<p>If you cannot raise a concern about patient safety with your manager, who can you go to in "
        "confidence? (The role's title.)</p>",
        data=_short(
            ("Freedom to Speak Up Guardian", "1", "<p>Yes.</p>"),
            ("*Speak Up Guardian*", "1", "<p>Yes: the Freedom to Speak Up Guardian.</p>"),
            ("*Guardian*", "0.5", "<p>Nearly: the Freedom to Speak Up Guardian.</p>"),
        ),
        difficulty=2,
        tags=("speaking up",),
        skills=("professionalism",),
    ),
    DemoQuestion(
        key="nw-wb-breaks",
        category=WELLBEING,
        qtype="truefalse",
        name="Breaks on a long shift",
        text="<p>On a 12-hour shift, skipping your breaks to finish the work is good practice.</p>",
        data=_truefalse(
            False,
            "No: tired staff make more mistakes. Take your breaks, and tell the nurse in charge if you cannot.",
            "Right: breaks keep you and your patients safe.",
        ),
        difficulty=1,
        tags=("breaks", "fatigue"),
        skills=("wellbeing",),
    ),
    DemoQuestion(
        key="nw-wb-reflection",
        category=WELLBEING,
        qtype="essay",
        name="Reflecting on a difficult shift",
        text="<p>Think of a shift that left you drained. What helped you recover afterwards, and what would you do "
        "differently next time?</p>",
        data=_essay("<p>A reflection, not a test: give the mark for a thoughtful answer of any length.</p>"),
        difficulty=2,
        tags=("reflection",),
        skills=("wellbeing",),
    ),
)

# What learners of the demo wrote for the essays (good, fair, weak), with the mark and comment a grader gives.
ESSAY_ANSWERS: dict[str, tuple[EssayAnswer, ...]] = {
    "nw-evac-essay": (
        EssayAnswer(
            "I would press the nearest call point and ring 2222 giving Ward 7, compartment A, day room. The nurse in "
            "charge takes the fire roles card and leads; my colleague and I close every door in compartment A. We "
            "move bay 1 first because it is next to the day room: the four who can walk go with the healthcare "
            "assistant through the fire doors into compartment B, and the two who cannot walk go on their beds, one "
            "of us at each end. The nurse in charge turns the oxygen off at the zone valve once the bay is empty. "
            "We do a head count in compartment B and the nurse in charge meets the fire service at the ward entrance "
            "to tell them where the fire is, that bay 1 is clear, that oxygen is off and who is still in bays 2 and "
            "3.",
            "1",
            "<p>Excellent: every step in the right order, clear roles and a complete handover to the fire service.</p>",
        ),
        EssayAnswer(
            "First raise the alarm and call 2222. Then close the doors and move the patients out of bay 1 through "
            "the fire doors into the next compartment, the ones who can walk first and then the two in beds. Then "
            "count everyone and wait for the fire brigade and tell them what happened and where everyone is now. "
            "We would also check the other bays and make sure nobody goes back into compartment A.",
            "0.5",
            "<p>The main steps are there. Think again about the order: the patients who cannot walk and are nearest "
            "the fire need you first, and say who turns the oxygen off and when.</p>",
        ),
        EssayAnswer(
            "Get everyone out of the building as fast as possible using the lifts for the patients in beds and then "
            "wait at the assembly point for the fire brigade. The fire brigade will deal with the fire and tell us "
            "when we can go back in, so we do not need to do anything else until then really.",
            "0.25",
            "<p>Please look again at progressive horizontal evacuation: patients move to the next compartment on the "
            "same floor first, and the passenger lifts are never used in a fire. Let's talk it through on your next "
            "shift.</p>",
        ),
    ),
    "nw-ig-phone-essay": (
        EssayAnswer(
            "I would not give out the address or even confirm she is on the ward until I know who is calling. I "
            "would take his name and number, check with the patient whether she wants us to talk to him, and call "
            "him back on the number in her record if she agrees. The information is hers and we only share the "
            "minimum needed with her permission.",
            "1",
            "<p>Exactly right, and well reasoned.</p>",
        ),
        EssayAnswer(
            "I would ask him to come to the ward with ID before telling him anything.",
            "0.5",
            "<p>Good instinct not to share over the phone. Ask the patient first: it is her information.</p>",
        ),
        EssayAnswer(
            "As he is her son I would give him the address so he can bring the clothes.",
            "0",
            "<p>Anyone can say they are a relative. Never give details to an unverified caller.</p>",
        ),
    ),
    "nw-wb-reflection": (
        EssayAnswer(
            "After a night with two cardiac arrests I talked it through with the team at handover and went for a walk"
            " before sleeping. Next time I will ask for a debrief straight away rather than waiting.",
            "1",
            "<p>Thank you for sharing this. Debriefs are open to everyone: just ask the nurse in charge.</p>",
        ),
        EssayAnswer("Sleep and time with my family helped.", "1", "<p>Thank you.</p>"),
        EssayAnswer("Nothing really.", "0.5", "<p>The Employee Assistance Programme is there any time.</p>"),
    ),
}
