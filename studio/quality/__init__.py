"""Quality: the style metrics (`metrics`) and the gate a model must pass before it is published (`gate`)."""
