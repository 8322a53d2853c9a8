"""The demo framework: a hospital trust's mandatory and professional skills, on the default 1–5 scale.

`seed_skills(organization)` is called by `seed_demo` (through the catalog's demo step). It goes through the same
import as an uploaded file — the framework below *is* a CSV file — so seeding again changes nothing, and a
framework edited since is brought back to these values.
"""

from __future__ import annotations

from syllabus.accounts.models import Organization
from syllabus.skills import framework_csv, imports, services
from syllabus.skills.models import ProficiencyScale, Skill

# code, name, parent code, description. Grouping skills (with sub-skills) have no scale; the others use 1–5.
FRAMEWORK: tuple[tuple[str, str, str, str], ...] = (
    ("patient-safety", "Patient safety", "", "Preventing avoidable harm to patients and residents in every setting."),
    (
        "infection-prevention",
        "Infection prevention and control",
        "patient-safety",
        "Standard precautions that stop infections passing between patients, staff and visitors.",
    ),
    (
        "hand-hygiene",
        "Hand hygiene",
        "infection-prevention",
        "The WHO five moments for hand hygiene; hand rub or soap and water, and the technique for each.",
    ),
    (
        "ppe",
        "Personal protective equipment",
        "infection-prevention",
        "Choosing gloves, aprons, gowns, masks and eye protection for the task, and putting them on and off safely.",
    ),
    (
        "sharps-safety",
        "Sharps safety",
        "infection-prevention",
        "Safe use and disposal of needles and blades, and what to do after a needlestick injury.",
    ),
    (
        "basic-life-support",
        "Basic life support",
        "patient-safety",
        "Recognising cardiac arrest, calling for help, chest compressions and using an automated defibrillator.",
    ),
    (
        "medication-safety",
        "Medication safety",
        "patient-safety",
        "The right patient, drug, dose, route and time; reporting and learning from medication errors.",
    ),
    (
        "safeguarding-adults",
        "Safeguarding adults",
        "patient-safety",
        "Recognising abuse and neglect of adults at risk, and raising a concern through the right route.",
    ),
    ("health-and-safety", "Health and safety at work", "", "Keeping yourself and colleagues safe at work."),
    (
        "fire-safety",
        "Fire safety",
        "health-and-safety",
        "Preventing fires, raising the alarm, using extinguishers and evacuating patients who cannot walk.",
    ),
    (
        "manual-handling",
        "Moving and handling",
        "health-and-safety",
        "Assessing a load, safe posture, and using hoists and slide sheets to move people.",
    ),
    (
        "information-governance",
        "Information governance",
        "",
        "Handling personal and organisational information lawfully, securely and accurately.",
    ),
    (
        "data-protection",
        "Data protection",
        "information-governance",
        "UK GDPR principles, lawful bases, subject access requests and reporting a data breach within 72 hours.",
    ),
    (
        "cyber-security",
        "Cyber security awareness",
        "information-governance",
        "Spotting phishing, strong passwords and multi-factor sign-in, and reporting a suspected incident.",
    ),
    (
        "records-management",
        "Record keeping",
        "information-governance",
        "Clear, contemporaneous and accurate records, and how long to keep them.",
    ),
    ("leadership", "Leadership", "", "Leading people and teams, with or without a management title."),
    (
        "coaching",
        "Coaching",
        "leadership",
        "Helping someone find their own way forward with open questions and active listening (the GROW model).",
    ),
    (
        "feedback",
        "Giving and receiving feedback",
        "leadership",
        "Specific, timely feedback on behaviour and its effect, and hearing feedback without defending.",
    ),
    (
        "leading-change",
        "Leading change",
        "leadership",
        "Making the case for a change, involving the people it affects, and keeping it going.",
    ),
    ("communication", "Communication", "", "Exchanging information clearly with patients, families and colleagues."),
    (
        "sbar-handover",
        "SBAR handover",
        "communication",
        "Situation, background, assessment, recommendation: a structured handover between clinicians.",
    ),
    (
        "difficult-conversations",
        "Difficult conversations",
        "communication",
        "Breaking bad news, handling complaints and de-escalating conflict calmly.",
    ),
    (
        "professionalism",
        "Professionalism and values",
        "",
        "Acting with integrity, respect and accountability, in line with the organisation's values.",
    ),
    (
        "equality-diversity",
        "Equality, diversity and inclusion",
        "professionalism",
        "The Equality Act's protected characteristics, unconscious bias, and making reasonable adjustments.",
    ),
    (
        "wellbeing",
        "Wellbeing and resilience",
        "",
        "Looking after your own mental and physical health, recognising stress, and knowing where to get support.",
    ),
)


def _default_scale(organization: Organization) -> ProficiencyScale:
    key = imports.scale_key(services.DEFAULT_SCALE_NAME)
    for scale in ProficiencyScale.objects.for_organization(organization):
        if imports.scale_key(scale.name) == key:
            return scale
    return services.scale_create_default(organization=organization, by=None)


def demo_csv(scale_name: str) -> bytes:
    """The demo framework in the import format."""
    parents = {parent for _code, _name, parent, _description in FRAMEWORK if parent}
    rows = [
        (code, name, parent, description, "" if code in parents else scale_name)
        for code, name, parent, description in FRAMEWORK
    ]
    return framework_csv.write(rows).encode()


def seed_skills(organization: Organization) -> dict[str, Skill]:
    """Create (or bring back) the demo framework and its 1–5 scale; answers every demo skill by code."""
    scale = _default_scale(organization)
    services.skills_import_apply(organization=organization, by=None, data=demo_csv(scale.name))
    codes = [code for code, _name, _parent, _description in FRAMEWORK]
    skills = Skill.objects.for_organization(organization).filter(code__in=codes).select_related("scale")
    return {skill.code: skill for skill in skills}
