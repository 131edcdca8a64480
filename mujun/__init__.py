"""Mujun 亩均: per-mu industrial land performance, investment projects and inefficient land."""
