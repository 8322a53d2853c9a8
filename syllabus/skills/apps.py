from django.apps import AppConfig


class SkillsConfig(AppConfig):
    name = "syllabus.skills"
    label = "skills"
    verbose_name = "Skills"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from syllabus.audit import actions

        actions.register("skill.created", _("Skill created"))
        actions.register("skill.changed", _("Skill changed"))
        actions.register("skill.moved", _("Skill moved"))
        actions.register("skill.deactivated", _("Skill deactivated"))
        actions.register("skill.reactivated", _("Skill reactivated"))
        actions.register("skill.deleted", _("Skill deleted"))
        actions.register("skills.imported", _("Skills imported"))
        actions.register("proficiency_scale.created", _("Proficiency scale created"))
        actions.register("proficiency_scale.changed", _("Proficiency scale changed"))
        actions.register("proficiency_scale.deleted", _("Proficiency scale deleted"))
