"""Scene checks (DB21/T 2641-2016 表1 四净四无, CC 通用规范㈡10): foreign objects on the counter top, debris on
the floor, the hall's lighting, staff in the customers' waiting area. They run periodically on the video (not on
every frame), compare each region with a clean reference image of the empty scene, and mask the people found by
the people stage."""

from .change import (ChangeSettings, Changes, align, blobs, change_mask, covered_area_px, detect_changes,
                     estimate_shift_px, people_mask, plane_size)
from .objects import ObjectTracker, SceneObject
from .reference import Reference, ReferenceLearner, SceneError, load_reference
from .run import SceneChecker, SceneResult, run_scene_checks, write_evidence
from .settings import SceneSettings, scene_settings

__all__ = ["ChangeSettings", "Changes", "align", "blobs", "change_mask", "covered_area_px", "detect_changes",
           "estimate_shift_px", "people_mask", "plane_size",
           "ObjectTracker", "SceneObject", "Reference", "ReferenceLearner", "SceneError", "load_reference",
           "SceneChecker", "SceneResult", "run_scene_checks", "write_evidence", "SceneSettings", "scene_settings"]
