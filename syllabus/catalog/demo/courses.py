"""The demo courses of Northwind Health, as data: metadata, outline, where each page's text lives, and the story
of each course's review (so the review queue, the history and the versions have something real to show).

Page texts are HTML files under `content/<course>/` (the sanitiser still checks them on the way in); uploads
(video, captions, PDFs) are under `files/`.
Skills are named by their code in the demo skills framework (`syllabus.skills.demo`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Who does what (emails of the demo people in accounts' seed_demo).
SOPHIE = "sophie.turner@northwind.example"  # instructor, Head of Learning & Development
MARCUS = "marcus.reid@northwind.example"  # instructor, L&D Specialist
SAMUEL = "samuel.okafor@northwind.example"  # reviewer, Director of Clinical Services
AMARA = "amara.osei@northwind.example"  # org admin

# (name, cover colour) in catalog order.
CATEGORIES: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("Induction", (11, 83, 148)),
    ("Clinical safety", (0, 110, 92)),
    ("Health and safety", (176, 58, 46)),
    ("Information governance", (62, 58, 140)),
    ("Safeguarding", (125, 60, 120)),
    ("Leadership and management", (150, 90, 10)),
    ("Health and wellbeing", (30, 110, 150)),
)

# The audience that sees clinical-only courses; made by the audiences app's demo step (syllabus.audiences.demo).
CLINICAL_STAFF = "Clinical staff"

# What to do after building the draft:
DRAFT = "draft"  # leave it as a draft
APPROVED = "approved"  # submitted by the owner, approved by the reviewer
SENT_BACK = "sent_back"  # submitted, sent back with a reason, fixed (the `after_review` part of a page), approved
PENDING = "pending"  # submitted, waiting for review
DIRECT = "direct"  # published without review by the organisation admin


@dataclass(frozen=True)
class Act:
    kind: str
    title: str
    minutes: int
    page: str = ""  # HTML file under content/ (page body, acknowledgement text)
    data: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # form field -> file under files/
    completion: dict[str, Any] | None = None
    skills: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Sec:
    title: str
    summary: str
    activities: tuple[Act, ...]


@dataclass(frozen=True)
class Revision:
    """A change after the first version: page texts replaced and/or sections added, then reviewed."""

    notes: str
    pages: dict[str, str] = field(default_factory=dict)  # activity title -> new HTML file
    sections: tuple[Sec, ...] = ()
    outcome: str = APPROVED  # APPROVED or PENDING


@dataclass(frozen=True)
class CourseSpec:
    title: str
    summary: str
    description: str  # plain text; a blank line starts a new paragraph
    category: str
    tags: tuple[str, ...]
    skills: tuple[str, ...]
    level: str
    owner: str
    sections: tuple[Sec, ...]
    workflow: str
    submit_notes: str = ""
    review_notes: str = ""  # the reviewer's approval note, or the reason for sending it back
    reviewer_comment: str = ""  # a comment left on a pending review
    fix_notes: str = ""  # SENT_BACK: the authors' notes when they submit again
    editors: tuple[str, ...] = ()
    audience: str | None = None
    revision: Revision | None = None


def page(title: str, path: str, minutes: int, *skills: str) -> Act:
    return Act("page", title, minutes, page=path, skills=skills)


COURSES: tuple[CourseSpec, ...] = (
    CourseSpec(
        title="Welcome to Northwind Health",
        summary="Your induction: who we are, what we value, how we are organised and what to do in your first weeks.",
        description=(
            "Start here. This course introduces Northwind Health: a welcome from our Chief Executive, our values, "
            "how the organisation fits together, and a checklist for your first week.\n\n"
            "It takes about 45 minutes. Complete it in your first week, then move on to your mandatory training."
        ),
        category="Induction",
        tags=("induction", "new starters", "values"),
        skills=("professionalism",),
        level="beginner",
        owner=SOPHIE,
        sections=(
            Sec(
                "About Northwind Health",
                "Who we are, what we value and how we are organised.",
                (
                    page("A welcome from our Chief Executive", "welcome/chief-executive-welcome.html", 4),
                    page("Our values", "welcome/our-values.html", 6, "professionalism"),
                    page("How we are organised", "welcome/how-we-are-organised.html", 6),
                ),
            ),
            Sec(
                "Your first weeks",
                "What to do, and what to learn, in your first weeks with us.",
                (
                    page("Your first week checklist", "welcome/first-week-checklist.html", 8),
                    page("Mandatory training", "welcome/mandatory-training.html", 5),
                    Act(
                        "link",
                        "The NHS Constitution for England",
                        10,
                        data={
                            "url": "https://www.gov.uk/government/publications/the-nhs-constitution-for-england",
                            "display": "new_tab",
                            "description": "The principles and values of the NHS, and the rights and "
                            "responsibilities of patients and staff. Read the section on staff: your rights and "
                            "NHS pledges to you, and your responsibilities.",
                        },
                        required=False,
                    ),
                ),
            ),
            Sec(
                "Getting help",
                "Who to ask when you have a question or a concern.",
                (page("Who to ask", "welcome/who-to-ask-1.0.html", 5),),
            ),
        ),
        workflow=APPROVED,
        submit_notes="First version of the corporate induction, replacing the slide pack.",
        review_notes="Clear and friendly. Approved.",
        revision=Revision(
            notes="Who to ask: the IT Service Desk is now open 24/7; added the Employee Assistance Programme and "
            "the Freedom to Speak Up Guardian.",
            pages={"Who to ask": "welcome/who-to-ask.html"},
        ),
    ),
    CourseSpec(
        title="Hand hygiene essentials",
        summary="When and how to clean your hands: the WHO five moments, the handwashing technique and skin care.",
        description=(
            "Cleaning your hands at the right moments is the most effective way to prevent healthcare-associated "
            "infections. This course covers the World Health Organization's five moments for hand hygiene, "
            "the handwashing technique (with a short captioned video), and when to use soap and water instead of "
            "alcohol hand rub.\n\n"
            "Required every year for everyone who works in clinical areas."
        ),
        category="Clinical safety",
        tags=("infection prevention", "hand hygiene", "mandatory"),
        skills=("infection-prevention", "hand-hygiene"),
        level="beginner",
        owner=SOPHIE,
        editors=(MARCUS,),
        sections=(
            Sec(
                "Why hand hygiene matters",
                "How infections spread in healthcare, and why your hands are the key.",
                (
                    page("Hands carry infection", "hand-hygiene/hands-carry-infection.html", 5, "infection-prevention"),
                    page("Bare below the elbows", "hand-hygiene/bare-below-the-elbows.html", 4, "hand-hygiene"),
                ),
            ),
            Sec(
                "The five moments",
                "When to clean your hands during care.",
                (page("Your five moments for hand hygiene", "hand-hygiene/five-moments.html", 8, "hand-hygiene"),),
            ),
            Sec(
                "Technique",
                "How to clean your hands properly, and with what.",
                (
                    Act(
                        "video",
                        "How to wash your hands",
                        2,
                        data={
                            "source": "upload",
                            "captions_language": "en",
                            "captions_label": "English",
                            "transcript_file": "handwashing-transcript.txt",
                        },
                        files={"video": "handwashing.webm", "captions_file": "handwashing.vtt"},
                        completion={"rule": "watched", "percent": 90},
                        skills=("hand-hygiene",),
                    ),
                    page("Hand rub or soap and water?", "hand-hygiene/rub-or-wash.html", 6, "hand-hygiene"),
                ),
            ),
        ),
        workflow=APPROVED,
        submit_notes="Annual hand hygiene update, with the new handwashing video.",
        review_notes="Checked against the WHO guidance and our IPC policy. Approved.",
    ),
    CourseSpec(
        title="Fire safety for clinical areas",
        summary="Preventing fire on the wards, what to do when the alarm sounds, evacuation and extinguishers.",
        description=(
            "Fire safety training for staff working in wards and clinical departments: the fire triangle and the "
            "risks particular to clinical areas (oxygen, emollients, electrical equipment), the fire procedure, "
            "progressive horizontal evacuation, and choosing and using an extinguisher.\n\n"
            "Includes the Ward 7 fire evacuation plan as a worked example. Required every year."
        ),
        category="Health and safety",
        tags=("fire safety", "evacuation", "mandatory"),
        skills=("fire-safety",),
        level="beginner",
        owner=MARCUS,
        audience=CLINICAL_STAFF,
        sections=(
            Sec(
                "Preventing fire",
                "What a fire needs, and the risks in clinical areas.",
                (
                    page("The fire triangle", "fire-safety/fire-triangle.html", 4, "fire-safety"),
                    page("Fire risks in clinical areas", "fire-safety/clinical-fire-risks.html", 6, "fire-safety"),
                ),
            ),
            Sec(
                "When the alarm sounds",
                "The fire procedure and how wards are evacuated.",
                (
                    page("If you discover a fire", "fire-safety/if-you-discover-a-fire.html", 5, "fire-safety"),
                    page(
                        "Progressive horizontal evacuation",
                        "fire-safety/progressive-horizontal-evacuation.html",
                        6,
                        "fire-safety",
                    ),
                    Act(
                        "file",
                        "Ward 7 fire evacuation plan",
                        5,
                        data={
                            "description": "The fire evacuation plan of Ward 7 (Cardiology): compartments, escape "
                            "routes, call points, extinguishers and oxygen valves, and the ward's fire roles. Find "
                            "the plan for your own area on your ward's fire notice board."
                        },
                        files={"document": "fire-evacuation-plan-ward-7.pdf"},
                        skills=("fire-safety",),
                    ),
                ),
            ),
            Sec(
                "Fire extinguishers",
                "Which extinguisher for which fire, and how to use one.",
                (page("Which extinguisher?", "fire-safety/which-extinguisher.html", 6, "fire-safety"),),
            ),
        ),
        workflow=APPROVED,
        submit_notes="Clinical fire safety, reviewed with the Fire Safety Adviser.",
        review_notes="Approved. Thank you for including the emollient risk.",
    ),
    CourseSpec(
        title="Information governance and data protection",
        summary="Handling personal information lawfully and safely: UK GDPR, the Caldicott principles, breaches.",
        description=(
            "Everyone who handles personal information – which is everyone at Northwind Health – must understand "
            "how to keep it confidential, secure and accurate. This course covers the UK GDPR principles, the "
            "Caldicott principles, everyday good practice, and how to recognise and report a data breach.\n\n"
            "It ends with the Acceptable use of IT policy, which you must read and acknowledge. Required every "
            "year."
        ),
        category="Information governance",
        tags=("data protection", "UK GDPR", "confidentiality", "cyber security", "mandatory"),
        skills=("data-protection", "cyber-security"),
        level="beginner",
        owner=SOPHIE,
        sections=(
            Sec(
                "The law and the principles",
                "Why information governance matters, and the principles behind it.",
                (
                    page("Why information governance matters", "information-governance/why-it-matters.html", 4),
                    page(
                        "The UK GDPR principles",
                        "information-governance/uk-gdpr-principles.html",
                        8,
                        "data-protection",
                    ),
                    page(
                        "The Caldicott principles",
                        "information-governance/caldicott-principles.html",
                        6,
                        "data-protection",
                    ),
                ),
            ),
            Sec(
                "Everyday practice",
                "Habits that keep information safe, and what to do when something goes wrong.",
                (
                    page(
                        "Handling information safely",
                        "information-governance/handling-information-safely.html",
                        7,
                        "data-protection",
                        "cyber-security",
                    ),
                    page(
                        "Recognising and reporting a breach",
                        "information-governance/reporting-a-breach.html",
                        5,
                        "data-protection",
                    ),
                ),
            ),
            Sec(
                "Policy",
                "The policy every member of staff must read and accept.",
                (
                    Act(
                        "acknowledgement",
                        "Acceptable use of IT policy",
                        15,
                        page="information-governance/acknowledgement.html",
                        data={
                            "statement": "I have read and understood the Acceptable use of IT policy and will "
                            "follow it."
                        },
                        files={"document": "acceptable-use-of-it-policy.pdf"},
                        skills=("cyber-security",),
                    ),
                ),
            ),
        ),
        workflow=APPROVED,
        submit_notes="Annual IG refresher; the acceptable use policy is now version 3.2.",
        review_notes="Approved – checked with the Information Governance lead.",
    ),
    CourseSpec(
        title="Safeguarding adults level 1",
        summary="Recognise abuse and neglect of adults at risk, and know how to respond, report and record a concern.",
        description=(
            "Safeguarding is everyone's responsibility. This level 1 course, for all staff, explains who is an "
            "adult at risk under the Care Act 2014, the six safeguarding principles, the types and signs of abuse "
            "and neglect, and exactly what to do when you are worried about someone.\n\n"
            "Renew every three years. Clinical staff then complete level 2."
        ),
        category="Safeguarding",
        tags=("safeguarding", "Care Act 2014", "mandatory"),
        skills=("safeguarding-adults",),
        level="beginner",
        owner=MARCUS,
        sections=(
            Sec(
                "What safeguarding means",
                "Who is an adult at risk, and the principles we work by.",
                (
                    page(
                        "Safeguarding adults: everyone's responsibility",
                        "safeguarding/everyones-responsibility.html",
                        5,
                        "safeguarding-adults",
                    ),
                    page(
                        "The six safeguarding principles", "safeguarding/six-principles.html", 5, "safeguarding-adults"
                    ),
                ),
            ),
            Sec(
                "Recognising abuse and neglect",
                "The types of abuse and the signs that something may be wrong.",
                (
                    page("Types of abuse and neglect", "safeguarding/types-of-abuse.html", 8, "safeguarding-adults"),
                    page("Signs that something may be wrong", "safeguarding/signs.html", 5, "safeguarding-adults"),
                ),
            ),
            Sec(
                "What to do",
                "Recognise, respond, report, record.",
                (
                    page("Responding to a concern", "safeguarding/responding.html", 6, "safeguarding-adults"),
                    Act(
                        "file",
                        "Safeguarding adults quick guide",
                        3,
                        data={
                            "description": "A one-page guide to keep: the four Rs, the types of abuse, the six "
                            "principles and who to call."
                        },
                        files={"document": "safeguarding-adults-quick-guide.pdf"},
                        required=False,
                    ),
                ),
            ),
        ),
        workflow=SENT_BACK,
        submit_notes="New level 1 course based on the Care Act statutory guidance.",
        review_notes="Good content. Before it goes live, please add the Safeguarding Team's extension and the "
        "out-of-hours route to 'Responding to a concern' – people need to know who to call.",
        fix_notes="Added the Safeguarding Team's contact details and the out-of-hours route.",
    ),
    CourseSpec(
        title="Basic life support: adult awareness",
        summary="Recognise cardiac arrest, call for help, give CPR and use a defibrillator – the first links in the "
        "chain of survival.",
        description=(
            "An awareness course, following the Resuscitation Council UK guidelines, for everyone: what to do when an "
            "adult collapses, how to give chest compressions and rescue breaths, how to use an automated external "
            "defibrillator, and the recovery position.\n\n"
            "It does not replace practical, face-to-face basic life support training."
        ),
        category="Clinical safety",
        tags=("resuscitation", "CPR", "first aid"),
        skills=("basic-life-support",),
        level="beginner",
        owner=SOPHIE,
        sections=(
            Sec(
                "Recognising cardiac arrest",
                "Why minutes matter, and the first steps.",
                (
                    page("The chain of survival", "basic-life-support/chain-of-survival.html", 4, "basic-life-support"),
                    page(
                        "Recognising cardiac arrest",
                        "basic-life-support/recognising-cardiac-arrest.html",
                        5,
                        "basic-life-support",
                    ),
                ),
            ),
            Sec(
                "CPR and defibrillation",
                "Chest compressions, rescue breaths and the AED.",
                (
                    page("Giving CPR", "basic-life-support/giving-cpr.html", 6, "basic-life-support"),
                    page(
                        "Using a defibrillator (AED)", "basic-life-support/using-an-aed.html", 5, "basic-life-support"
                    ),
                    page("The recovery position", "basic-life-support/recovery-position.html", 4, "basic-life-support"),
                    Act(
                        "link",
                        "Resuscitation Council UK guidelines",
                        5,
                        data={
                            "url": "https://www.resus.org.uk/",
                            "display": "new_tab",
                            "description": "The UK's resuscitation guidelines, on which this course is based.",
                        },
                        required=False,
                    ),
                ),
            ),
        ),
        workflow=DIRECT,
        submit_notes="Published by the organisation admin for National Restart a Heart Day.",
    ),
    CourseSpec(
        title="Giving and receiving feedback",
        summary="Feedback that helps people grow: the SBI model, having the conversation, and receiving feedback well.",
        description=(
            "For team leaders, managers and anyone who wants to give feedback that is specific, fair and useful – "
            "and to take feedback well themselves. Uses the Situation – Behaviour – Impact model, with examples "
            "from health care."
        ),
        category="Leadership and management",
        tags=("feedback", "leadership", "conversations", "coaching"),
        skills=("feedback", "communication"),
        level="intermediate",
        owner=SOPHIE,
        sections=(
            Sec(
                "Why feedback matters",
                "What makes feedback useful, and the safety that makes it possible.",
                (page("Feedback that helps", "feedback/feedback-that-helps.html", 6, "feedback"),),
            ),
            Sec(
                "Giving feedback",
                "A simple model and a conversation structure.",
                (
                    page("The SBI model", "feedback/sbi-model.html", 7, "feedback", "communication"),
                    page("Having the conversation", "feedback/having-the-conversation.html", 6, "communication"),
                ),
            ),
            Sec(
                "Receiving feedback",
                "Listening, reflecting and acting on feedback.",
                (page("Receiving feedback well", "feedback/receiving-feedback.html", 5, "feedback"),),
            ),
        ),
        workflow=APPROVED,
        submit_notes="First version for the new managers' programme.",
        review_notes="Approved.",
        revision=Revision(
            notes="Adds a practice section with three scenarios, requested by the first cohort of the managers' "
            "programme.",
            sections=(
                Sec(
                    "Practise",
                    "Try the model on three common situations.",
                    (page("Practice scenarios", "feedback/practice-scenarios.html", 10, "feedback"),),
                ),
            ),
            outcome=PENDING,
        ),
    ),
    CourseSpec(
        title="Managing stress at work",
        summary=(
            "Recognise the signs of stress in yourself and others, understand its causes, and know where to get help."
        ),
        description=(
            "Pressure is part of working in health care; stress is what happens when pressure exceeds our ability "
            "to cope. This course explains the difference, the signs to look out for, the six HSE Management "
            "Standards, what helps, and the support available inside and outside Northwind Health."
        ),
        category="Health and wellbeing",
        tags=("wellbeing", "stress", "mental health"),
        skills=("wellbeing",),
        level="beginner",
        owner=MARCUS,
        sections=(
            Sec(
                "Understanding stress",
                "What stress is, and how to recognise it.",
                (
                    page("What stress is – and isn't", "stress/what-stress-is.html", 5, "wellbeing"),
                    page("Signs of stress", "stress/signs-of-stress.html", 5, "wellbeing"),
                ),
            ),
            Sec(
                "What causes work-related stress",
                "The six areas of work design that matter most.",
                (page("The HSE Management Standards", "stress/management-standards.html", 6, "wellbeing"),),
            ),
            Sec(
                "Looking after yourself and others",
                "What helps, and where to get support.",
                (
                    page("What helps", "stress/what-helps.html", 6, "wellbeing"),
                    page("Where to get support", "stress/where-to-get-support.html", 4, "wellbeing"),
                ),
            ),
        ),
        workflow=PENDING,
        submit_notes="New wellbeing course, written with Occupational Health. Please check the support numbers.",
        reviewer_comment="Reading it now. Could 'Where to get support' also mention the chaplaincy team?",
    ),
    CourseSpec(
        title="Display screen equipment: setting up your workstation",
        summary="Set up your chair, screen and keyboard to avoid aches and eye strain; know your rights as a DSE user.",
        description=(
            "A short course for everyone who uses a computer for an hour or more at a time: how to set up your "
            "workstation, take breaks, and get an eye test."
        ),
        category="Health and safety",
        tags=("DSE", "ergonomics", "health and safety"),
        skills=("wellbeing",),
        level="beginner",
        owner=MARCUS,
        sections=(
            Sec(
                "Your workstation",
                "Chair, screen, keyboard and mouse; breaks and eye tests.",
                (
                    page("Setting up your chair, screen and keyboard", "dse/setting-up.html", 6),
                    page("Breaks and eye tests", "dse/breaks-and-eye-tests.html", 4),
                ),
            ),
        ),
        workflow=DRAFT,
    ),
)
