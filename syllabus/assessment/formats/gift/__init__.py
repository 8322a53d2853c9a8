"""GIFT import (Moodle's plain-text question format): see format.py."""
